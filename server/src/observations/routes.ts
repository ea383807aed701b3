import { randomUUID } from 'node:crypto';
import {
  AgentsScope,
  DEFAULT_OBSERVATION_REASONS,
  ObservationReasonsRequest,
  ObservationRequest,
  type Observation,
} from '@earshot/shared';
import { Router } from 'express';
import { z } from 'zod';
import type { AuditEntry } from '../audit/AuditLog.ts';
import { actorOf } from '../auth/AuthService.ts';
import type { Database } from '../db/Database.ts';
import { ForbiddenError, ValidationError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import { uuidParam, type RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import type { KpiService } from '../kpi/KpiService.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import { teamsOfPlace } from '../org/placeScope.ts';
import { heardVsReported } from './heardVsReported.ts';

/** The organisation's call reasons, in their order (the defaults until an admin sets them). */
async function reasonsOf(db: Database): Promise<string[]> {
  const rows = await db.all<{ reason: string }>(
    'SELECT reason FROM observation_reasons ORDER BY position',
  );
  return rows.length ? rows.map((r) => r.reason) : DEFAULT_OBSERVATION_REASONS;
}

/**
 * Observations: the gist of a call as an executive or a lead heard it (its reason,
 * resolved or not, the customer's mood, whether the data looks wrong, a note), set beside
 * what the data says. Those who may hear a call observe it; every observation is audited.
 */
export function observationRoutes(
  kit: RouteKit,
  deps: {
    db: Database;
    kpi: KpiService;
    org: OrgRepository;
    record: (entry: AuditEntry) => void;
  },
): Router {
  const router = Router();

  router.get('/observation-reasons', kit.signedIn, async (_req, res) => {
    res.json({ reasons: await reasonsOf(deps.db) });
  });

  router.put('/observation-reasons', kit.admin, kit.smallJson, async (req, res) => {
    const { reasons } = parseOrThrow(ObservationReasonsRequest, req.body, 'reasons');
    await deps.db.transaction(async (db) => {
      await db.run('DELETE FROM observation_reasons');
      for (const [i, reason] of reasons.entries())
        await db.run('INSERT INTO observation_reasons (position, reason) VALUES (?, ?)', [
          i,
          reason,
        ]);
    });
    deps.record({
      actor: actorOf(principalOf(res)),
      action: 'observation.reasons',
      target: null,
      details: { reasons },
    });
    res.json({ reasons });
  });

  router.post('/calls/:id/observations', kit.signedIn, kit.smallJson, async (req, res) => {
    const who = principalOf(res);
    const id = uuidParam(req.params.id, 'call');
    const call = await kit.visibleCall(id, who);
    if (!who.access.canListen(call))
      throw new ForbiddenError('those who may hear a call observe it');
    const body = parseOrThrow(ObservationRequest, req.body, 'observation');
    const reasons = await reasonsOf(deps.db);
    if (!reasons.includes(body.reason))
      throw new ValidationError('that is not one of the organisation’s reasons', [
        { path: 'reason', message: `must be one of: ${reasons.join(', ')}` },
      ]);
    const observation: Observation = {
      id: randomUUID(),
      callId: call.id,
      externalId: call.externalId,
      acdDisposition: call.acd.disposition,
      team: call.team,
      center: call.center,
      agent: call.agent,
      observer: actorOf(who),
      reason: body.reason,
      resolved: body.resolved,
      mood: body.mood,
      dataLooksWrong: body.dataLooksWrong,
      note: body.note || null,
      at: new Date().toISOString(),
    };
    await deps.db.run(
      'INSERT INTO observations (id, call_id, body, team_id, center_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [
        observation.id,
        call.id,
        JSON.stringify(observation),
        call.team,
        call.center,
        observation.at,
      ],
    );
    deps.record({
      actor: actorOf(who),
      action: 'observation.create',
      target: call.id,
      details: { reason: body.reason, resolved: body.resolved, mood: body.mood },
    });
    res.status(201).json(observation);
  });

  router.get('/observations', kit.signedIn, async (req, res) => {
    const who = principalOf(res);
    const callId = typeof req.query.callId === 'string' ? req.query.callId : undefined;
    const rows = await deps.db.all<{ body: string }>(
      `SELECT body FROM observations ${callId ? 'WHERE call_id = ?' : ''} ORDER BY created_at DESC LIMIT 1000`,
      callId ? [callId] : [],
    );
    const visible = rows
      .map((r) => JSON.parse(r.body) as Observation)
      .filter((o) => who.access.canSee({ team: o.team, center: o.center }));
    res.json({ observations: visible });
  });

  router.get('/heard-vs-reported', kit.signedIn, async (req, res) => {
    const who = principalOf(res);
    if (!who.access.canListenAtAll)
      throw new ForbiddenError('executives and team leads compare what they heard');
    const query = parseOrThrow(HeardQuery, req.query, 'comparison');
    const to = query.to ? Date.parse(query.to) : Date.now();
    const from = query.from ? Date.parse(query.from) : to - 24 * 3_600_000;
    if (!(from < to))
      throw new ValidationError('the period runs backwards', [
        { path: 'from', message: 'must be before to' },
      ]);
    const org = await deps.org.get();
    const centerOf = new Map(org.teams.map((t) => [t.id, t.centerId]));
    const teams = teamsOfPlace(query.scope, org);
    const inScope = (team: string) =>
      teams.has(team) && who.access.canSee({ team, center: centerOf.get(team) ?? '' });
    const rows = await deps.db.all<{ body: string }>(
      'SELECT body FROM observations WHERE created_at >= ? AND created_at <= ? ORDER BY created_at',
      [new Date(from).toISOString(), new Date(to).toISOString()],
    );
    const observations = rows
      .map((r) => JSON.parse(r.body) as Observation)
      .filter((o) => inScope(o.team));
    const acdCalls = deps.kpi
      .endedCalls(from, to)
      .filter((c) => c.team !== undefined && inScope(c.team))
      .map((c) => ({ disposition: c.disposition, csat: c.csat?.value }));
    res.json(
      heardVsReported({
        scope: query.scope,
        from,
        to,
        reasons: await reasonsOf(deps.db),
        observations,
        acdCalls,
        dispositionOf: (externalId) => deps.kpi.callFacts(externalId)?.disposition,
      }),
    );
  });

  return router;
}

const HeardQuery = z.object({
  scope: AgentsScope.default('org'),
  from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
});
