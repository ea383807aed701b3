import { AuditQuery, type AuditRecord } from '@earshot/shared';
import { Router } from 'express';
import { toCsv } from '../http/csv.ts';
import type { RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { AuditLog } from './AuditLog.ts';

/** The audit trail, for admins: browse, export, verify. */
export function auditRoutes(kit: RouteKit, deps: { audit: AuditLog }): Router {
  const router = Router();

  router.get('/audit', kit.admin, async (req, res) => {
    const query = parseOrThrow(AuditQuery, req.query, 'audit query');
    const records = await deps.audit.list(query);
    if (query.format === 'csv') {
      res
        .type('text/csv')
        .set('Content-Disposition', `attachment; filename="earshot-audit.csv"`)
        .send(auditCsv(records));
      return;
    }
    res.json({ records });
  });

  router.get('/audit/verify', kit.admin, async (_req, res) => {
    res.json(await deps.audit.verify());
  });

  return router;
}

/** The audit trail as CSV, one record a row, details as JSON. */
function auditCsv(records: AuditRecord[]): string {
  return toCsv(
    ['seq', 'at', 'actor_id', 'actor_name', 'action', 'target', 'details', 'hash'],
    records.map((r) => [
      r.seq,
      r.at,
      r.actor.id,
      r.actor.name,
      r.action,
      r.target ?? '',
      JSON.stringify(r.details),
      r.hash,
    ]),
  );
}
