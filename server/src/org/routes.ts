import { Org } from '@earshot/shared';
import { Router } from 'express';
import type { RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { OrgRepository } from './OrgRepository.ts';

/** The organisation: read by everyone signed in, declared by admins. */
export function orgRoutes(kit: RouteKit, deps: { org: OrgRepository }): Router {
  const router = Router();
  // NOTE: a large organisation (tens of thousands of agents) is declared in one body.
  const orgJson = kit.json('16mb');

  router.get('/org', kit.signedIn, async (_req, res) => {
    res.json(await deps.org.get());
  });

  router.put('/org', kit.admin, orgJson, async (req, res) => {
    const org = parseOrThrow(Org, req.body, 'organisation');
    await deps.org.replace(org);
    res.json(org);
  });

  return router;
}
