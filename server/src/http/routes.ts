import { CreateCallRequest, Org } from '@earshot/shared';
import express, { Router } from 'express';
import type { CallService } from '../calls/CallService.ts';
import { NotFoundError } from '../errors.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import { requireBearer } from './auth.ts';
import { parseOrThrow } from './validate.ts';

const CALL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function callId(raw: string | string[] | undefined): string {
  const id = typeof raw === 'string' ? raw : '';
  if (!CALL_ID.test(id)) throw new NotFoundError(`no call with id "${id.slice(0, 64)}"`);
  return id;
}

/** `/api/v1`: translates HTTP into domain calls, nothing more. */
export function apiRouter(deps: {
  calls: CallService;
  org: OrgRepository;
  ingestToken: string;
}): Router {
  const router = Router();
  const bearer = requireBearer(deps.ingestToken);
  const smallJson = express.json({ limit: '64kb', strict: true });
  // NOTE: a large organisation (tens of thousands of agents) is declared in one body.
  const orgJson = express.json({ limit: '16mb', strict: true });

  router.get('/org', async (_req, res) => {
    res.json(await deps.org.get());
  });

  router.put('/org', bearer, orgJson, async (req, res) => {
    const org = parseOrThrow(Org, req.body, 'organisation');
    await deps.org.replace(org);
    res.json(org);
  });

  router.post('/calls', bearer, smallJson, async (req, res) => {
    const body = parseOrThrow(CreateCallRequest, req.body, 'call');
    res.status(201).json(await deps.calls.create(body));
  });

  router.get('/calls', (_req, res) => {
    res.json({ calls: deps.calls.list() });
  });

  router.get('/calls/:id', async (req, res) => {
    res.json(await deps.calls.get(callId(req.params.id)));
  });

  router.delete('/calls/:id', bearer, async (req, res) => {
    res.json(await deps.calls.end(callId(req.params.id)));
  });

  router.use((req) => {
    throw new NotFoundError(`no route ${req.method} ${req.baseUrl}${req.path}`);
  });
  return router;
}
