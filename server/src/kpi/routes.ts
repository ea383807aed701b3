import { EventsBatch, KpiScope, KpiWindow, ReportedKpiRequest } from '@earshot/shared';
import { Router, type Request, type Response } from 'express';
import { assertMayFollow } from '../auth/kpiAccess.ts';
import type { CallService } from '../calls/CallService.ts';
import { principalOf } from '../http/auth.ts';
import type { RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { KpiService } from './KpiService.ts';

/** Contact-center events and reported figures in (ingest tokens), KPIs out (supervisors). */
export function kpiRoutes(
  kit: RouteKit,
  deps: { kpi: KpiService; org: OrgRepository; calls: CallService },
): Router {
  const router = Router();
  // NOTE: a batch of up to 5,000 events from an ACD.
  const eventsJson = kit.json('4mb');

  router.post('/events', kit.bearer, eventsJson, async (req, res) => {
    const { events } = parseOrThrow(EventsBatch, req.body, 'event batch');
    res.json(await deps.kpi.ingest(events));
  });

  router.post('/kpis/reported', kit.bearer, kit.smallJson, async (req, res) => {
    const body = parseOrThrow(ReportedKpiRequest, req.body, 'reported figure');
    parseOrThrow(KpiScope, body.scope, 'scope');
    res.status(201).json(await deps.kpi.report(body));
  });

  const kpiParams = async (req: Request, res: Response) => {
    const scope = parseOrThrow(KpiScope, req.params.scope, 'scope');
    const window = parseOrThrow(KpiWindow.default('1h'), req.query.window, 'window');
    await assertMayFollow(principalOf(res).access, scope, deps.org, deps.calls);
    return { scope, window };
  };

  router.get('/kpis/:scope', kit.signedIn, async (req, res) => {
    const { scope, window } = await kpiParams(req, res);
    res.json(await deps.kpi.metrics(scope, window));
  });

  router.get('/kpis/:scope/history', kit.signedIn, async (req, res) => {
    const { scope, window } = await kpiParams(req, res);
    res.json({ scope, window, points: await deps.kpi.history(scope, window) });
  });

  return router;
}
