import { CreateCallRequest, Org, RecordingQuery } from '@earshot/shared';
import express, { Router } from 'express';
import type { CallService } from '../calls/CallService.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { RecordingStore } from '../recordings/RecordingStore.ts';
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
  recordings: RecordingStore;
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

  router.get('/calls/:id/recording', async (req, res) => {
    const id = callId(req.params.id);
    await deps.calls.get(id);
    const query = parseOrThrow(RecordingQuery, req.query, 'recording range');
    const info = await deps.recordings.info(id);
    if (!info) throw new NotFoundError(`call "${id}" has no recording`);
    const download = query.download === '1' || query.download === 'true';
    if (query.from !== undefined && query.to !== undefined) {
      if (query.from >= info.durationMs) {
        throw new ValidationError('the range is outside the recording', [
          {
            path: 'from',
            message: `must be below the recording's ${Math.floor(info.durationMs)} ms`,
          },
        ]);
      }
      const segment = await deps.recordings.segment(
        id,
        query.from,
        Math.min(query.to, info.durationMs),
      );
      if (!segment) throw new NotFoundError(`call "${id}" has no recording`);
      const name = `call-${id.slice(0, 8)}-${query.from}-${query.to}.wav`;
      res.set('Content-Disposition', `${download ? 'attachment' : 'inline'}; filename="${name}"`);
      res.type('audio/wav').send(segment);
      return;
    }
    if (download)
      res.set('Content-Disposition', `attachment; filename="call-${id.slice(0, 8)}.wav"`);
    if (info.finalized) {
      // sendFile answers Range requests (206) and conditional requests by itself.
      res.sendFile(deps.recordings.wavFile(id), {
        headers: { 'Content-Type': 'audio/wav' },
        maxAge: 0,
      });
      return;
    }
    const live = await deps.recordings.read(id);
    if (!live) throw new NotFoundError(`call "${id}" has no recording`);
    res.set('Cache-Control', 'no-store').type('audio/wav').send(live);
  });

  router.delete('/calls/:id', bearer, async (req, res) => {
    res.json(await deps.calls.end(callId(req.params.id)));
  });

  router.use((req) => {
    throw new NotFoundError(`no route ${req.method} ${req.baseUrl}${req.path}`);
  });
  return router;
}
