import { EventsBatch, KpiScope, KpiWindow, ReportedKpiRequest } from '@earshot/shared';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AuditEntry } from '../audit/AuditLog.ts';
import { actorOf, type Principal } from '../auth/AuthService.ts';
import { ForbiddenError, ValidationError } from '../errors.ts';
import { assertMayFollow } from '../auth/kpiAccess.ts';
import type { CallService } from '../calls/CallService.ts';
import { principalOf } from '../http/auth.ts';
import type { RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { KpiService } from './KpiService.ts';
import { parseReportedCsv } from './reportedImport.ts';

/**
 * Contact-center events in (ingest tokens), reported figures in (ingest tokens, executives,
 * admins), KPIs out (supervisors).
 */
export function kpiRoutes(
  kit: RouteKit,
  deps: {
    kpi: KpiService;
    org: OrgRepository;
    calls: CallService;
    record: (entry: AuditEntry) => void;
  },
): Router {
  const router = Router();
  // NOTE: a batch of up to 5,000 events from an ACD.
  const eventsJson = kit.json('4mb');

  router.post('/events', kit.bearer, eventsJson, async (req, res) => {
    const { events } = parseOrThrow(EventsBatch, req.body, 'event batch');
    res.json(await deps.kpi.ingest(events));
  });

  // Reported figures come from other systems (an ingest token) or from people: an
  // executive or an admin enters them in the console, one by one or as a CSV.
  const reporter: RequestHandler = (req, res, next) => {
    if (/^Bearer\s/i.test(req.get('authorization') ?? '')) return kit.bearer(req, res, next);
    kit.signedIn(req, res, (error?: unknown) => {
      if (error) return next(error);
      const { roles } = principalOf(res).user;
      if (!roles.some((r) => r.role === 'executive' || r.role === 'admin'))
        return next(new ForbiddenError('only an executive or an admin may enter reported figures'));
      next();
    });
  };
  /** Who entered a figure, when a person did (an ingest token's are not audited). */
  const audit = (res: Response, details: Record<string, unknown>) => {
    const who = res.locals.principal as Principal | undefined;
    if (who) deps.record({ actor: actorOf(who), action: 'kpi.reported', target: null, details });
  };

  router.post('/kpis/reported', reporter, kit.smallJson, async (req, res) => {
    const body = parseOrThrow(ReportedKpiRequest, req.body, 'reported figure');
    parseOrThrow(KpiScope, body.scope, 'scope');
    const snapshot = await deps.kpi.report(body);
    audit(res, { ...body });
    res.status(201).json(snapshot);
  });

  router.post(
    '/kpis/reported/import',
    reporter,
    express.text({ type: ['text/csv', 'text/plain'], limit: '512kb' }),
    async (req, res) => {
      if (typeof req.body !== 'string')
        throw new ValidationError('send the CSV as text/csv', [
          { path: '(body)', message: 'must be a CSV (Content-Type: text/csv)' },
        ]);
      const parsed = parseReportedCsv(req.body, await deps.org.get());
      if (!parsed.ok)
        throw new ValidationError(
          'the import has lines that are wrong; nothing was stored',
          parsed.issues,
        );
      const stored = await deps.kpi.reportMany(parsed.rows);
      audit(res, { imported: stored });
      res.status(201).json({ stored });
    },
  );

  router.get('/kpis/reported', kit.signedIn, async (_req, res) => {
    res.json({ reported: await deps.kpi.listReported() });
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
