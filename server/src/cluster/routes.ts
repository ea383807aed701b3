import { Router } from 'express';
import type { RouteKit } from '../http/kit.ts';
import type { Cluster } from './Cluster.ts';

/** The nodes of the deployment and what each holds (admins: where calls run, who is gone). */
export function clusterRoutes(kit: RouteKit, deps: { cluster: Cluster | undefined }): Router {
  const router = Router();
  router.get('/nodes', kit.admin, (_req, res) => {
    const cluster = deps.cluster;
    res.json({
      self: cluster?.nodeId ?? null,
      leader: cluster?.leader ?? true,
      nodes: (cluster?.nodes() ?? []).sort((a, b) => a.id.localeCompare(b.id)),
    });
  });
  return router;
}
