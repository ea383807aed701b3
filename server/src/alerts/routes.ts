import { AlertRuleRequest, AlertsQuery, type Alert } from '@earshot/shared';
import { Router } from 'express';
import type { AuditEntry } from '../audit/AuditLog.ts';
import { actorOf, type Principal } from '../auth/AuthService.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import { uuidParam, type RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import { MAX_RULES, type AlertService } from './AlertService.ts';

/** Who sees an alert: those who may hear its team's calls, and admins. */
export const maySeeAlert = (who: Principal, alert: Pick<Alert, 'team' | 'center'>): boolean =>
  who.access.admin || who.access.canListen(alert);

/** The teams a team lead leads (null: not a lead, or one who needs no team). */
const ledTeams = (who: Principal): string[] =>
  who.user.roles.flatMap((r) => (r.role === 'teamLead' ? r.teams : []));

/**
 * Alert rules (admins any scope, team leads their own teams), the alerts they raise, and
 * acknowledging and resolving them; every change audited.
 */
export function alertRoutes(
  kit: RouteKit,
  deps: { alerts: AlertService; org: OrgRepository; record: (entry: AuditEntry) => void },
): Router {
  const router = Router();
  const { alerts } = deps;

  router.get('/alert-rules', kit.signedIn, async (_req, res) => {
    const who = principalOf(res);
    const org = await deps.org.get();
    const mine = new Set(ledTeams(who));
    const rules = alerts.rules().filter((rule) => {
      if (who.access.admin || who.access.sight.kind === 'all') return true;
      if (rule.scope.startsWith('team:')) return mine.has(rule.scope.slice(5));
      // A wider rule touches the lead when one of their teams lies in it.
      return org.teams.some(
        (t) =>
          mine.has(t.id) &&
          (rule.scope === 'org' ||
            rule.scope === `center:${t.centerId}` ||
            org.centers.some((c) => c.id === t.centerId && rule.scope === `region:${c.regionId}`)),
      );
    });
    res.json({ rules });
  });

  router.post('/alert-rules', kit.signedIn, kit.smallJson, async (req, res) => {
    const who = principalOf(res);
    const body = parseOrThrow(AlertRuleRequest, req.body, 'alert rule');
    if (!who.access.admin) {
      const team = body.scope.startsWith('team:') ? body.scope.slice(5) : undefined;
      if (!team || !ledTeams(who).includes(team))
        throw new ForbiddenError('a team lead sets rules on their own teams; admins on any scope');
    }
    if (alerts.rules().length >= MAX_RULES)
      throw new ConflictError(`there are already ${MAX_RULES} alert rules: remove one first`);
    const rule = await alerts.createRule(body, actorOf(who));
    const { webhookSecret: _secret, ...shown } = body;
    deps.record({
      actor: actorOf(who),
      action: 'alert.rule.create',
      target: rule.id,
      details: shown,
    });
    res.status(201).json(rule);
  });

  router.delete('/alert-rules/:id', kit.signedIn, async (req, res) => {
    const who = principalOf(res);
    const id = uuidParam(req.params.id, 'alert rule');
    const rule = alerts.rule(id);
    if (!rule) throw new NotFoundError(`no alert rule with id "${id}"`);
    if (!who.access.admin && rule.createdBy.id !== who.user.id)
      throw new ForbiddenError('only its author or an admin removes a rule');
    await alerts.deleteRule(id);
    deps.record({
      actor: actorOf(who),
      action: 'alert.rule.delete',
      target: id,
      details: { name: rule.name },
    });
    res.status(204).end();
  });

  router.get('/alerts', kit.signedIn, async (req, res) => {
    const who = principalOf(res);
    const query = parseOrThrow(AlertsQuery, req.query, 'alerts query');
    const list = await alerts.list(query.state, query.limit);
    res.json({ alerts: list.filter((a) => maySeeAlert(who, a)) });
  });

  for (const [path, action] of [
    ['acknowledge', 'alert.acknowledge'],
    ['resolve', 'alert.resolve'],
  ] as const) {
    router.post(`/alerts/:id/${path}`, kit.signedIn, async (req, res) => {
      const who = principalOf(res);
      const id = uuidParam(req.params.id, 'alert');
      const alert = await alerts.get(id);
      if (!alert || !maySeeAlert(who, alert)) throw new NotFoundError(`no alert with id "${id}"`);
      const done =
        path === 'acknowledge'
          ? await alerts.acknowledge(alert, actorOf(who))
          : await alerts.resolve(alert, actorOf(who));
      deps.record({ actor: actorOf(who), action, target: id, details: { rule: alert.ruleName } });
      res.json(done);
    });
  }
  return router;
}
