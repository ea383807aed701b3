import { createHmac, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Alert, AlertRule, AlertRuleRequest, Org } from '@earshot/shared';
import { z } from 'zod';
import type { CallService } from '../calls/CallService.ts';
import type { Cluster } from '../cluster/Cluster.ts';
import type { Database } from '../db/Database.ts';
import { holdIntervals } from '../kpi/kpiMath.ts';
import type { AgentDay, KpiService } from '../kpi/KpiService.ts';
import type { Logger } from '../log/logger.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import { teamsOfPlace } from '../org/placeScope.ts';

/** Rules on one call's audio: each node evaluates them on the calls it taps. */
const PER_CALL_KINDS = new Set<AlertRule['kind']>([
  'dead_air',
  'overtalk_above',
  'held_but_talking',
]);

/** An alert another node raised or changed (its own code made it: the shape is checked loosely). */
const RemoteAlert = z
  .object({ id: z.string().max(64), ruleId: z.string().max(64), raisedAt: z.string() })
  .passthrough();

/** How often rules are evaluated: an alert is raised within this long of its condition. */
const TICK_MS = 250;
/** Team figures (queue, wait, service level) are computed at most this often (one pass). */
const TEAM_METRICS_MS = 500;
/** A webhook is tried this many times, waiting 1, 2, 4 and 8 s between tries. */
const WEBHOOK_ATTEMPTS = 5;
const WEBHOOK_TIMEOUT_MS = 5000;
/** Deliveries in flight at most; past it a delivery fails at once (and is counted). */
const MAX_DELIVERIES = 200;
/** Rules at most (each is evaluated four times a second). */
export const MAX_RULES = 500;

const DEMO_RULES: AlertRuleRequest[] = [
  { name: 'Hold over 2 min', kind: 'hold_longer', scope: 'org', threshold: 120 },
  { name: 'Wrap-up over 2 min', kind: 'wrap_up_longer', scope: 'org', threshold: 120 },
  { name: 'On hold, yet talking', kind: 'held_but_talking', scope: 'org' },
  { name: 'Caller waiting over 1 min', kind: 'longest_wait', scope: 'org', threshold: 60 },
];

interface RuleRow {
  id: string;
  name: string;
  kind: AlertRule['kind'];
  scope: string;
  threshold: number | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  webhook_error: string | null;
  webhook_failures: number;
  created_by_id: string;
  created_by_name: string;
  created_at: string;
}

/** What a rule's condition found on one subject now. */
interface Finding {
  subject: string;
  team: string;
  center: string;
  callId: string | null;
  agent: { id: string; name: string } | null;
  message: string;
}

type Actor = { id: string; name: string };

type TeamFigures =
  Awaited<ReturnType<KpiService['teamFigures']>> extends Map<string, infer F> ? F : never;

const clock = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** The organisation looked up by id, made once per evaluation. */
interface OrgIndex {
  org: Org;
  agents: Map<string, { id: string; name: string; team: string }>;
  centerOfTeam: Map<string, string>;
}

function indexOrg(org: Org): OrgIndex {
  return {
    org,
    agents: new Map(org.agents.map((a) => [a.id, { id: a.id, name: a.name, team: a.teamId }])),
    centerOfTeam: new Map(org.teams.map((t) => [t.id, t.centerId])),
  };
}

/** The signature a webhook receiver checks: HMAC-SHA256 of `<timestamp>.<body>`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Alert rules on live signals, evaluated four times a second: an alert is raised once when
 * its condition starts (within a second of it), cleared when it ends, acknowledged and
 * resolved by people, kept in a history, and sent to the rule's webhook (signed JSON,
 * retried with back-off, failures kept on the rule).
 */
export class AlertService extends EventEmitter<{ alert: [Alert] }> {
  readonly #db: Database;
  readonly #kpi: KpiService;
  readonly #calls: CallService;
  readonly #org: OrgRepository;
  readonly #log: Logger;
  #rules: RuleRow[] = [];
  /** Alerts whose condition holds now, by rule and subject. */
  readonly #open = new Map<string, Alert>();
  readonly #timer: NodeJS.Timeout;
  #teamMetrics: { at: number; byTeam: Map<string, TeamFigures> } = { at: 0, byTeam: new Map() };
  #ticking = false;
  #cluster: Cluster | undefined;
  #deliveries = 0;
  #delivering = new Set<Promise<void>>();

  constructor(db: Database, kpi: KpiService, calls: CallService, org: OrgRepository, log: Logger) {
    super();
    this.#db = db;
    this.#kpi = kpi;
    this.#calls = calls;
    this.#org = org;
    this.#log = log;
    this.#timer = setInterval(() => void this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  /**
   * With several nodes: each evaluates the rules on its own calls' audio, the leader the
   * rules on the floor's figures (once for all); every alert raised or changed anywhere
   * reaches the consoles of every node, and a rule made on one node applies on all.
   */
  joinCluster(cluster: Cluster): void {
    this.#cluster = cluster;
    cluster.subscribe('alerts:alert', RemoteAlert, (raw) => {
      const alert = raw as unknown as Alert;
      // Acknowledged or resolved on another node: the copy open here keeps it.
      const open = this.#live(alert);
      if (open !== alert) {
        open.acknowledgedAt ??= alert.acknowledgedAt;
        open.acknowledgedBy ??= alert.acknowledgedBy;
        open.resolvedAt ??= alert.resolvedAt;
        open.resolvedBy ??= alert.resolvedBy;
      }
      this.emit('alert', alert);
    });
    cluster.subscribe('alerts:rules', z.object({}), () => {
      this.#loadRules().catch((error: unknown) =>
        this.#log.error({ err: error }, 'could not reload the alert rules'),
      );
    });
  }

  async #loadRules(): Promise<void> {
    this.#rules = await this.#db.all<RuleRow>('SELECT * FROM alert_rules ORDER BY created_at');
  }

  /** Whether this node evaluates rules of `kind` (all of them alone; see joinCluster). */
  #evaluates(kind: AlertRule['kind']): boolean {
    return !this.#cluster || this.#cluster.leader || PER_CALL_KINDS.has(kind);
  }

  /** Loads the rules; alerts a previous process left open end at the restart. */
  async load(): Promise<void> {
    await this.#loadRules();
    // NOTE: with other nodes alive, what is open is theirs.
    const self = this.#cluster?.nodeId;
    if (this.#cluster?.nodes().some((n) => n.id !== self)) return;
    const left = await this.#db.all<{ id: string; body: string }>(
      'SELECT id, body FROM alerts WHERE resolved_at IS NULL',
    );
    for (const row of left) {
      const alert = JSON.parse(row.body) as Alert;
      if (alert.clearedAt) continue;
      alert.clearedAt = new Date().toISOString();
      await this.#store(alert);
    }
  }

  #toRule(row: RuleRow): AlertRule {
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      scope: row.scope,
      threshold: row.threshold,
      webhookUrl: row.webhook_url,
      webhookError: row.webhook_error,
      webhookFailures: row.webhook_failures,
      createdBy: { id: row.created_by_id, name: row.created_by_name },
      createdAt: row.created_at,
    };
  }

  /** In the demo, a few rules so that alerts come by themselves (only when there are none). */
  async seedDemoRules(): Promise<void> {
    if (this.#rules.length > 0) return;
    const by = { id: 'earshot-demo', name: 'Earshot demo' };
    for (const rule of DEMO_RULES) await this.createRule(rule, by);
  }

  rules(): AlertRule[] {
    return this.#rules.map((r) => this.#toRule(r));
  }

  rule(id: string): AlertRule | undefined {
    const row = this.#rules.find((r) => r.id === id);
    return row && this.#toRule(row);
  }

  async createRule(request: AlertRuleRequest, by: Actor): Promise<AlertRule> {
    const row: RuleRow = {
      id: randomUUID(),
      name: request.name,
      kind: request.kind,
      scope: request.scope,
      threshold: request.threshold ?? null,
      webhook_url: request.webhookUrl ?? null,
      webhook_secret: request.webhookSecret ?? null,
      webhook_error: null,
      webhook_failures: 0,
      created_by_id: by.id,
      created_by_name: by.name,
      created_at: new Date().toISOString(),
    };
    await this.#db.run(
      `INSERT INTO alert_rules (id, name, kind, scope, threshold, webhook_url, webhook_secret,
         webhook_error, webhook_failures, created_by_id, created_by_name, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, ?)`,
      [
        row.id,
        row.name,
        row.kind,
        row.scope,
        row.threshold,
        row.webhook_url,
        row.webhook_secret,
        row.created_by_id,
        row.created_by_name,
        row.created_at,
      ],
    );
    this.#rules.push(row);
    this.#cluster?.publish('alerts:rules', {});
    return this.#toRule(row);
  }

  async deleteRule(id: string): Promise<void> {
    await this.#db.run('DELETE FROM alert_rules WHERE id = ?', [id]);
    this.#rules = this.#rules.filter((r) => r.id !== id);
    this.#cluster?.publish('alerts:rules', {});
    const now = new Date().toISOString();
    for (const [key, alert] of this.#open) {
      if (alert.ruleId !== id) continue;
      this.#open.delete(key);
      alert.clearedAt = now;
      await this.#publish(alert);
    }
  }

  /** Open (not resolved) alerts, or every alert, newest first. */
  async list(state: 'open' | 'all', limit: number): Promise<Alert[]> {
    const rows = await this.#db.all<{ body: string }>(
      `SELECT body FROM alerts ${state === 'open' ? 'WHERE resolved_at IS NULL' : ''}
       ORDER BY raised_at DESC LIMIT ?`,
      [limit],
    );
    return rows.map((r) => JSON.parse(r.body) as Alert);
  }

  async get(id: string): Promise<Alert | undefined> {
    const row = await this.#db.get<{ body: string }>('SELECT body FROM alerts WHERE id = ?', [id]);
    return row && (JSON.parse(row.body) as Alert);
  }

  /** A person has seen it (and is on it). */
  async acknowledge(alert: Alert, by: Actor): Promise<Alert> {
    const live = this.#live(alert);
    live.acknowledgedAt ??= new Date().toISOString();
    live.acknowledgedBy ??= by;
    await this.#publish(live);
    return live;
  }

  /** A person has dealt with it: it leaves the open list (it is not raised again until its condition ends and comes back). */
  async resolve(alert: Alert, by: Actor): Promise<Alert> {
    const live = this.#live(alert);
    live.resolvedAt ??= new Date().toISOString();
    live.resolvedBy ??= by;
    await this.#publish(live);
    return live;
  }

  /** The open copy of an alert, when its condition still holds (so both stay one). */
  #live(alert: Alert): Alert {
    for (const open of this.#open.values()) if (open.id === alert.id) return open;
    return alert;
  }

  async #store(alert: Alert): Promise<void> {
    await this.#db.run(
      `INSERT INTO alerts (id, rule_id, body, raised_at, resolved_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET body = excluded.body, resolved_at = excluded.resolved_at`,
      [alert.id, alert.ruleId, JSON.stringify(alert), alert.raisedAt, alert.resolvedAt],
    );
  }

  async #publish(alert: Alert): Promise<void> {
    await this.#store(alert);
    this.emit('alert', alert);
    this.#cluster?.publish('alerts:alert', alert);
  }

  async #tick(): Promise<void> {
    if (this.#ticking || this.#rules.length === 0) return;
    this.#ticking = true;
    try {
      await this.evaluate(Date.now());
    } catch (error) {
      this.#log.error({ err: error }, 'alert evaluation failed');
    } finally {
      this.#ticking = false;
    }
  }

  /** Evaluates every rule as of `now`: raises what began, clears what ended. */
  async evaluate(now: number): Promise<void> {
    const index = indexOrg(await this.#org.get());
    const days = await this.#kpi.agentDays(now);
    const found = new Map<string, { rule: RuleRow; finding: Finding }>();
    for (const rule of this.#rules) {
      if (!this.#evaluates(rule.kind)) continue;
      for (const finding of await this.#conditions(rule, index, days, now))
        found.set(`${rule.id}|${finding.subject}`, { rule, finding });
    }
    const at = new Date(now).toISOString();
    // While a backlog of old events is replayed, the floor is still in the past: nothing
    // new is raised from it (what ends meanwhile is still cleared).
    const replaying = this.#kpi.catchingUp;
    for (const [key, { rule, finding }] of found) {
      if (this.#open.has(key) || replaying) continue;
      const alert: Alert = {
        id: randomUUID(),
        ruleId: rule.id,
        ruleName: rule.name,
        kind: rule.kind,
        ...finding,
        raisedAt: at,
        clearedAt: null,
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
        resolvedBy: null,
      };
      this.#open.set(key, alert);
      await this.#publish(alert);
      this.#deliver(rule, 'alert.raised', alert);
    }
    for (const [key, alert] of this.#open) {
      if (found.has(key)) continue;
      this.#open.delete(key);
      alert.clearedAt = at;
      await this.#publish(alert);
      const rule = this.#rules.find((r) => r.id === alert.ruleId);
      if (rule) this.#deliver(rule, 'alert.cleared', alert);
    }
  }

  async #conditions(
    rule: RuleRow,
    index: OrgIndex,
    days: Map<string, AgentDay>,
    now: number,
  ): Promise<Finding[]> {
    const threshold = rule.threshold ?? 0;
    const out: Finding[] = [];
    const { org } = index;
    // The teams the rule watches, once per evaluation.
    const teams = teamsOfPlace(rule.scope, org);
    const centerOf = (team: string) => index.centerOfTeam.get(team) ?? '';
    const agentOf = (id: string) => index.agents.get(id);
    switch (rule.kind) {
      case 'hold_longer':
      case 'call_longer': {
        // Team AHT today, from the agents' handled calls.
        const aht = new Map<string, { ms: number; n: number }>();
        if (rule.kind === 'call_longer')
          for (const [id, d] of days) {
            const team = agentOf(id)?.team;
            if (!team || d.handled === 0) continue;
            const t = aht.get(team) ?? { ms: 0, n: 0 };
            t.ms += d.handleMs;
            t.n += d.handled;
            aht.set(team, t);
          }
        for (const [agentId, d] of days) {
          const call = d.call;
          const agent = agentOf(agentId);
          const team = call?.team ?? agent?.team;
          if (!call || !team || call.answeredAt === undefined || !teams.has(team)) continue;
          let message: string | undefined;
          if (rule.kind === 'hold_longer') {
            const hold = holdIntervals(call.holdMarks, now).at(-1);
            if (hold?.open && now - hold.start > threshold * 1000)
              message = `on hold for ${clock(now - hold.start)}`;
          } else {
            const t = aht.get(agent?.team ?? team);
            const duration = now - call.answeredAt;
            if (t && duration > threshold * (t.ms / t.n))
              message = `call at ${clock(duration)}, ${(duration / (t.ms / t.n)).toFixed(1)}x the team's AHT`;
          }
          if (message)
            out.push({
              subject: `call:${call.callId}`,
              team,
              center: centerOf(team),
              callId: this.#calls.idOfExternal(call.callId) ?? null,
              agent: agent ? { id: agent.id, name: agent.name } : null,
              message,
            });
        }
        return out;
      }
      case 'wrap_up_longer':
      case 'away_longer': {
        const state = rule.kind === 'wrap_up_longer' ? 'wrap_up' : 'break';
        for (const [agentId, d] of days) {
          const agent = agentOf(agentId);
          if (!agent || d.state?.state !== state || !teams.has(agent.team)) continue;
          const ms = now - d.state.at;
          if (ms <= threshold * 1000) continue;
          out.push({
            subject: `agent:${agent.id}`,
            team: agent.team,
            center: centerOf(agent.team),
            callId: null,
            agent: { id: agent.id, name: agent.name },
            message: `${state === 'wrap_up' ? 'in wrap-up' : 'away'} for ${clock(ms)}`,
          });
        }
        return out;
      }
      case 'dead_air':
      case 'overtalk_above':
      case 'held_but_talking': {
        for (const call of this.#calls.list()) {
          if (call.unmatched || !teams.has(call.team)) continue;
          let message: string | undefined;
          if (rule.kind === 'held_but_talking') {
            if (call.flags.includes('held-but-talking'))
              message = 'on hold, yet both sides are talking';
          } else if (rule.kind === 'overtalk_above') {
            const share = this.#calls.live(call.id)?.conversation.overtalkLastMinute ?? null;
            if (share !== null && share * 100 > threshold)
              message = `both sides talking ${Math.round(share * 100)} % of the last minute`;
          } else {
            const silent = this.#calls.live(call.id)?.conversation.deadAirMs ?? 0;
            if (silent > threshold * 1000) message = `dead air for ${clock(silent)}`;
          }
          if (message)
            out.push({
              subject: `call:${call.externalId ?? call.id}`,
              team: call.team,
              center: call.center,
              callId: call.id,
              agent: call.agent,
              message,
            });
        }
        return out;
      }
      case 'queue_depth':
      case 'longest_wait':
      case 'service_level_below': {
        const metrics = await this.#teamFigures(now);
        for (const team of org.teams) {
          if (!teams.has(team.id)) continue;
          const m = metrics.get(team.id);
          if (!m) continue;
          let message: string | undefined;
          if (rule.kind === 'queue_depth' && m.queueDepth > threshold)
            message = `${m.queueDepth} calls waiting`;
          else if (
            rule.kind === 'longest_wait' &&
            m.longestWaitMs !== null &&
            m.longestWaitMs > threshold * 1000
          )
            message = `a caller waiting ${clock(m.longestWaitMs)}`;
          else if (
            rule.kind === 'service_level_below' &&
            m.serviceLevel !== null &&
            m.serviceLevel * 100 < threshold
          )
            message = `service level ${Math.round(m.serviceLevel * 100)} % over 30 min`;
          if (message)
            out.push({
              subject: `team:${team.id}`,
              team: team.id,
              center: team.centerId,
              callId: null,
              agent: null,
              message,
            });
        }
        return out;
      }
    }
  }

  /** Every team's figures over 30 minutes, computed at most once a second. */
  async #teamFigures(now: number): Promise<Map<string, TeamFigures>> {
    if (now - this.#teamMetrics.at < TEAM_METRICS_MS) return this.#teamMetrics.byTeam;
    const byTeam = await this.#kpi.teamFigures('30m', now);
    this.#teamMetrics = { at: now, byTeam };
    return byTeam;
  }

  /** Sends an alert to the rule's webhook: signed JSON, retried with back-off. */
  #deliver(rule: RuleRow, event: 'alert.raised' | 'alert.cleared', alert: Alert): void {
    if (!rule.webhook_url || !rule.webhook_secret) return;
    const url = rule.webhook_url;
    const secret = rule.webhook_secret;
    const body = JSON.stringify({ event, rule: { id: rule.id, name: rule.name }, alert });
    const settle = async (error: string | null) => {
      await this.#db.run(
        error === null
          ? 'UPDATE alert_rules SET webhook_error = NULL WHERE id = ?'
          : 'UPDATE alert_rules SET webhook_error = ?, webhook_failures = webhook_failures + 1 WHERE id = ?',
        error === null ? [rule.id] : [error, rule.id],
      );
      rule.webhook_error = error;
      if (error !== null) {
        rule.webhook_failures++;
        this.#log.warn({ rule: rule.id, url, error }, 'alert webhook failed');
      }
    };
    if (this.#deliveries >= MAX_DELIVERIES) {
      void settle('too many webhook deliveries waiting: this one was dropped');
      return;
    }
    this.#deliveries++;
    const run = (async () => {
      let last = '';
      for (let attempt = 0; attempt < WEBHOOK_ATTEMPTS; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
        const timestamp = String(Math.floor(Date.now() / 1000));
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'user-agent': 'Earshot-Alerts',
              'x-earshot-event': event,
              'x-earshot-timestamp': timestamp,
              'x-earshot-signature': webhookSignature(secret, timestamp, body),
            },
            body,
            signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
            redirect: 'manual',
          });
          if (response.ok) return settle(null);
          last = `answered ${response.status} (after ${attempt + 1} tries)`;
        } catch (error) {
          last = `${error instanceof Error ? error.message : String(error)} (after ${attempt + 1} tries)`;
        }
      }
      return settle(last);
    })()
      .catch((error: unknown) =>
        this.#log.error({ err: error }, 'alert webhook bookkeeping failed'),
      )
      .finally(() => {
        this.#deliveries--;
        this.#delivering.delete(run);
      });
    this.#delivering.add(run);
  }

  /** Waits for the deliveries under way, at most `timeoutMs` (a shutdown does not wait out retries). */
  async flush(timeoutMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.#delivering]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
