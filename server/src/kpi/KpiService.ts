import { EventEmitter } from 'node:events';
import {
  ContactEvent,
  type AgentState,
  type EventsResult,
  type KpiMetrics,
  type KpiSnapshot,
  type KpiUpdate,
  type KpiWindow,
  type ReportableMetric,
  type ReportedKpiRequest,
  type ReportedVsObserved,
  type StoredReportedFigure,
  type Org,
} from '@earshot/shared';
import type { Database } from '../db/Database.ts';
import type { Logger } from '../log/logger.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import { teamsOfPlace } from '../org/placeScope.ts';
import {
  audioMetrics,
  computeMetrics,
  localMidnight,
  newCallFacts,
  type AgentFacts,
  type CallFacts,
  type Conversation,
  type Window,
} from './kpiMath.ts';

const WINDOW_MS: Record<Exclude<KpiWindow, 'today'>, number> = {
  '30m': 30 * 60_000,
  '1h': 60 * 60_000,
};
/** Events are kept in memory (and reloaded at start) this long: "today" in every zone. */
const KEEP_MS = 48 * 3_600_000;
/** Events older than this, in a batch, mean a backlog is being replayed... */
const BACKFILL_AGE_MS = 10 * 60_000;
/** ...and the floor's state is taken as current this long after the last such batch. */
const BACKFILL_SETTLE_MS = 5_000;

/** What the events say of one agent now (see `agentDays`). */
export interface AgentDay {
  state: { at: number; state: AgentState } | undefined;
  call: CallFacts | undefined;
  handled: number;
  handleMs: number;
}
const TICK_MS = 250;
/**
 * Calls first heard of this long before a window starts are not looked at: they ended
 * long before (a call that never ended is not live any more either).
 */
const LOOKBACK_MS = 3 * 3_600_000;
const HISTORY_POINTS = 12;
/** Events stored per statement (five parameters each). */
const INSERT_CHUNK = 500;

interface Subscription {
  scope: string;
  window: KpiWindow;
  subscribers: number;
  last: KpiMetrics | undefined;
}

/** Whether a tapped call belongs to a scope. */
function inScope(scope: string, call: Conversation, org: Org): boolean {
  const [kind, id] = scope.split(':', 2) as [string, string | undefined];
  switch (kind) {
    case 'org':
      return true;
    case 'center':
      return call.center === id;
    case 'region':
      return (
        call.region === id || org.centers.some((c) => c.id === call.center && c.regionId === id)
      );
    case 'team':
      return call.team === id;
    case 'agent':
      return call.agentId === id;
    case 'call':
      return call.id === id || call.externalId === id;
    default:
      return false;
  }
}

/** Applied event ids are kept this long (events in flight when an outage began). */
const APPLIED_KEEP_MS = 5000;

/**
 * Contact-center events in, KPIs out: stores each event once (by id), keeps what they say
 * about calls and agents, computes any scope's metrics over a window on demand, and
 * streams the changed metrics of subscribed scopes at most four times a second.
 */
export class KpiService extends EventEmitter<{
  update: [KpiUpdate];
  /** An event was stored and applied (the call layer follows the ACD's states). */
  applied: [ContactEvent];
  /** Events this node stored, new to the database (the other nodes are told of them). */
  stored: [ContactEvent[]];
  /** Reported figures of a scope and window were stored here. */
  reported: [scope: string, window: KpiWindow];
}> {
  readonly #conversations: () => Conversation[];
  readonly #db: Database;
  readonly #org: OrgRepository;
  readonly #log: Logger;
  readonly #calls = new Map<string, CallFacts>();
  /** The same calls in the order they were first heard of (about the order offered). */
  #order: { call: CallFacts; firstAt: number }[] = [];
  readonly #agents = new Map<string, AgentFacts>();
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #timer: NodeJS.Timeout;
  #pruned = Date.now();
  #catchingUpUntil = 0;
  /** Events applied lately (by id), oldest first: see `#forgetApplied`. */
  readonly #appliedIds = new Map<string, number>();
  /** Since when the other nodes could not say what they stored (Redis away), or null. */
  #missingSince: number | null = null;
  #ticking = false;

  constructor(db: Database, org: OrgRepository, conversations: () => Conversation[], log: Logger) {
    super();
    this.#conversations = conversations;
    this.#db = db;
    this.#org = org;
    this.#log = log;
    this.#timer = setInterval(() => void this.#tick(), TICK_MS);
  }

  /** Reloads the recent events a previous run stored. */
  async load(): Promise<void> {
    const since = new Date(Date.now() - KEEP_MS).toISOString();
    const rows = await this.#db.all<{ body: string }>(
      'SELECT body FROM events WHERE at >= ? ORDER BY at',
      [since],
    );
    for (const row of rows) this.#apply(JSON.parse(row.body) as ContactEvent);
    if (rows.length) this.#log.info({ events: rows.length }, 'reloaded contact-center events');
  }

  /** Takes a batch: each event checked alone, stored once, applied whatever its order. */
  async ingest(batch: unknown[]): Promise<EventsResult> {
    const result: EventsResult = { accepted: 0, duplicates: 0, rejected: [] };
    this.#noteBackfill(batch);
    const valid: { event: ContactEvent; index: number }[] = [];
    batch.forEach((raw, index) => {
      const parsed = ContactEvent.safeParse(raw);
      if (parsed.success) valid.push({ event: parsed.data, index });
      else {
        const issue = parsed.error.issues[0];
        const path = issue?.path.length ? `${issue.path.join('.')}: ` : '';
        result.rejected.push({ index, reason: `${path}${issue?.message ?? 'invalid event'}` });
      }
    });
    const received = new Date().toISOString();
    const fresh: ContactEvent[] = [];
    // NOTE: stored in chunks of one statement each (a round trip per event is what a
    // networked database cannot afford); the ids a chunk returns are the events new to it.
    await this.#db.transaction(async (db) => {
      for (let from = 0; from < valid.length; from += INSERT_CHUNK) {
        const chunk = valid.slice(from, from + INSERT_CHUNK);
        const stored = new Set(
          (
            await db.all<{ id: string }>(
              `INSERT INTO events (id, type, at, body, received_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (id) DO NOTHING RETURNING id`,
              chunk.flatMap(({ event }) => [
                event.id,
                event.type,
                new Date(event.at).toISOString(),
                JSON.stringify(event),
                received,
              ]),
            )
          ).map((r) => r.id),
        );
        for (const { event } of chunk) {
          // The first of two copies in one batch is the one stored.
          if (!stored.delete(event.id)) result.duplicates++;
          else {
            result.accepted++;
            fresh.push(event);
          }
        }
      }
    });
    // NOTE: applied once committed: an event another node stored first is not applied twice.
    for (const event of fresh) this.#applyOnce(event);
    if (fresh.length) this.emit('stored', fresh);
    return result;
  }

  /** Events another node stored (each once: the database said they were new there). */
  applyStored(events: ContactEvent[]): void {
    for (const event of events) this.#applyOnce(event);
  }

  /** Applies an event unless it was applied already; true when it was applied now. */
  #applyOnce(event: ContactEvent): boolean {
    if (this.#appliedIds.has(event.id)) return false;
    this.#appliedIds.set(event.id, Date.now());
    // NOTE: bounded through a long outage (the oldest ids go first).
    if (this.#appliedIds.size > 2_000_000)
      this.#appliedIds.delete(this.#appliedIds.keys().next().value!);
    this.#apply(event);
    this.emit('applied', event);
    return true;
  }

  /**
   * The other nodes cannot be heard (Redis is away): from now on, which events this node
   * applies is kept, so that `catchUp` applies each of the others' once.
   */
  missingOthers(): void {
    this.#missingSince ??= Date.now();
  }

  /**
   * Back in touch with the other nodes: applies the events they stored while they could
   * not say so (read from the database, a few seconds before the outage on).
   */
  async catchUp(): Promise<number> {
    const since = this.#missingSince;
    if (since === null) return 0;
    const rows = await this.#db.all<{ body: string }>(
      'SELECT body FROM events WHERE received_at >= ? ORDER BY received_at',
      [new Date(since - APPLIED_KEEP_MS).toISOString()],
    );
    let applied = 0;
    for (const row of rows) if (this.#applyOnce(JSON.parse(row.body) as ContactEvent)) applied++;
    this.#missingSince = null;
    if (applied)
      this.#log.info({ events: applied }, 'applied the events other nodes stored meanwhile');
    return applied;
  }

  /**
   * A batch of events from long ago is a backlog being replayed (an ACD catching up, the
   * demo's warm-up): until it has been in a few seconds, the state of the floor is still
   * that of the past, and what looks true now (an agent "in wrap-up for an hour") may not be.
   */
  #noteBackfill(batch: unknown[]): void {
    const old = Date.now() - BACKFILL_AGE_MS;
    for (const raw of batch) {
      const at = Date.parse((raw as { at?: string } | null)?.at ?? '');
      if (at < old) {
        this.#catchingUpUntil = Date.now() + BACKFILL_SETTLE_MS;
        return;
      }
    }
  }

  /** Whether a backlog of old events is being replayed now (see `#noteBackfill`). */
  get catchingUp(): boolean {
    return Date.now() < this.#catchingUpUntil;
  }

  #call(callId: string, at: number): CallFacts {
    let call = this.#calls.get(callId);
    if (!call) {
      call = newCallFacts(callId);
      this.#calls.set(callId, call);
      this.#order.push({ call, firstAt: at });
    }
    return call;
  }

  #apply(event: ContactEvent): void {
    const at = Date.parse(event.at);
    // NOTE: a field keeps the earliest time any event gave it, so repeats and late
    // arrivals land where they belong.
    const earliest = (current: number | undefined) =>
      current === undefined ? at : Math.min(current, at);
    switch (event.type) {
      case 'call.offered': {
        const call = this.#call(event.callId, at);
        call.offeredAt = earliest(call.offeredAt);
        call.team ??= event.team;
        break;
      }
      case 'call.answered': {
        const call = this.#call(event.callId, at);
        call.answeredAt = earliest(call.answeredAt);
        call.agentId = event.agentId;
        break;
      }
      case 'call.held':
      case 'call.resumed':
        this.#call(event.callId, at).holdMarks.push({ at, held: event.type === 'call.held' });
        break;
      case 'call.transferred': {
        const call = this.#call(event.callId, at);
        call.transferredAt = earliest(call.transferredAt);
        break;
      }
      case 'call.ended': {
        const call = this.#call(event.callId, at);
        call.endedAt = earliest(call.endedAt);
        if (event.disposition) call.disposition = event.disposition;
        break;
      }
      case 'call.wrapup_ended': {
        const call = this.#call(event.callId, at);
        call.wrapupEndedAt = earliest(call.wrapupEndedAt);
        break;
      }
      case 'call.abandoned': {
        const call = this.#call(event.callId, at);
        call.abandonedAt = earliest(call.abandonedAt);
        break;
      }
      case 'survey.result':
        this.#call(event.callId, at).csat = { at, value: event.csat };
        break;
      case 'agent.state': {
        let agent = this.#agents.get(event.agentId);
        if (!agent) {
          agent = { agentId: event.agentId, team: event.team, states: [] };
          this.#agents.set(event.agentId, agent);
        }
        agent.team = event.team;
        agent.states.push({ at, state: event.state });
        if (agent.states.length > 1 && agent.states.at(-2)!.at > at)
          agent.states.sort((a, b) => a.at - b.at);
        break;
      }
      default: {
        const unreachable: never = event;
        throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * The calls a window can see: those first heard of since `cutoff`, less a margin for
   * events that arrive out of order (a call lasts minutes; one older is over).
   */
  #callsSince(cutoff: number): CallFacts[] {
    const order = this.#order;
    const from = cutoff - LOOKBACK_MS;
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order[mid]!.firstAt < from) lo = mid + 1;
      else hi = mid;
    }
    const calls: CallFacts[] = [];
    for (let i = lo; i < order.length; i++) calls.push(order[i]!.call);
    return calls;
  }

  /** The calls and agents a scope covers, of those a window starting at `cutoff` can see. */
  #members(scope: string, org: Org, cutoff: number): { calls: CallFacts[]; agents: AgentFacts[] } {
    const [kind, id] = scope.split(':', 2) as [string, string | undefined];
    const calls = this.#callsSince(cutoff);
    const agents = [...this.#agents.values()];
    if (kind === 'org') return { calls, agents };
    if (kind === 'agent')
      return {
        calls: calls.filter((c) => c.agentId === id),
        agents: agents.filter((a) => a.agentId === id),
      };
    if (kind === 'call') return { calls: calls.filter((c) => c.callId === id), agents: [] };
    // NOTE: a team not (or no longer) in the organisation is still its own scope.
    const teams = kind === 'team' ? new Set([id!]) : teamsOfPlace(scope, org);
    return {
      calls: calls.filter((c) => c.team !== undefined && teams.has(c.team)),
      agents: agents.filter((a) => teams.has(a.team)),
    };
  }

  #window(window: KpiWindow, now: number, org: Org): Window {
    if (window !== 'today') {
      const from = now - WINDOW_MS[window];
      return { now, from: () => from };
    }
    const zoneOf = new Map(
      org.teams.map((t) => [t.id, org.centers.find((c) => c.id === t.centerId)?.timeZone ?? 'UTC']),
    );
    const midnights = new Map<string, number>();
    return {
      now,
      from: (team) => {
        const zone = (team && zoneOf.get(team)) || 'UTC';
        let midnight = midnights.get(zone);
        if (midnight === undefined) {
          midnight = localMidnight(zone, now);
          midnights.set(zone, midnight);
        }
        return midnight;
      },
    };
  }

  /** A scope's metrics over a window, as of `now`. */
  async metrics(scope: string, window: KpiWindow, now = Date.now()): Promise<KpiSnapshot> {
    const org = await this.#org.get();
    const metrics = this.#compute(scope, window, now, org, this.#conversations());
    return {
      scope,
      window,
      at: new Date(now).toISOString(),
      metrics,
      reported: await this.#reported(scope, window, metrics),
    };
  }

  /**
   * The event-derived figures of every team over a window, in one pass over the calls and
   * agents (what alert rules on queues, waits and service level read each second).
   */
  async teamFigures(
    window: KpiWindow,
    now = Date.now(),
  ): Promise<Map<string, ReturnType<typeof computeMetrics>>> {
    const org = await this.#org.get();
    const w = this.#window(window, now, org);
    const cutoff = window === 'today' ? now - 26 * 3_600_000 : w.from(undefined);
    const calls = new Map<string, CallFacts[]>();
    for (const call of this.#callsSince(cutoff)) {
      if (call.team === undefined) continue;
      const list = calls.get(call.team) ?? [];
      list.push(call);
      calls.set(call.team, list);
    }
    const agents = new Map<string, AgentFacts[]>();
    for (const agent of this.#agents.values()) {
      const list = agents.get(agent.team) ?? [];
      list.push(agent);
      agents.set(agent.team, list);
    }
    const out = new Map<string, ReturnType<typeof computeMetrics>>();
    for (const team of org.teams)
      out.set(team.id, computeMetrics(calls.get(team.id) ?? [], agents.get(team.id) ?? [], w));
    return out;
  }

  /** The metrics themselves; `tapped` is every tapped call (looked up once per round). */
  #compute(
    scope: string,
    window: KpiWindow,
    now: number,
    org: Org,
    tapped: Conversation[],
  ): KpiMetrics {
    const w = this.#window(window, now, org);
    const cutoff = window === 'today' ? now - 26 * 3_600_000 : w.from(undefined);
    const { calls, agents } = this.#members(scope, org, cutoff);
    return {
      ...computeMetrics(calls, agents, w),
      ...audioMetrics(
        tapped.filter((c) => inScope(scope, c, org)),
        w,
      ),
    };
  }

  /** Stores what another system reports for a scope (the latest figure wins). */
  async report(request: ReportedKpiRequest): Promise<KpiSnapshot> {
    await this.#storeReported(this.#db, request);
    this.emit('reported', request.scope, request.window);
    return this.#announceReported(request.scope, request.window);
  }

  /** Another node stored reported figures: this node's consoles showing them see them now. */
  async reportedElsewhere(scope: string, window: KpiWindow): Promise<void> {
    await this.#announceReported(scope, window);
  }

  /** Stores many reported figures at once (an import): all of them, or none. */
  async reportMany(requests: ReportedKpiRequest[]): Promise<number> {
    await this.#db.transaction(async (db) => {
      for (const request of requests) await this.#storeReported(db, request);
    });
    const touched = new Set(requests.map((r) => `${r.scope}|${r.window}`));
    for (const key of touched) {
      const [scope, window] = key.split('|') as [string, KpiWindow];
      this.emit('reported', scope, window);
      await this.#announceReported(scope, window);
    }
    return requests.length;
  }

  /** Every reported figure stored, newest first. */
  async listReported(): Promise<StoredReportedFigure[]> {
    return this.#db.all(
      'SELECT scope, metric, "window", value, source, at FROM reported_kpis ORDER BY at DESC, scope, metric LIMIT 5000',
    );
  }

  async #storeReported(db: Database, request: ReportedKpiRequest): Promise<void> {
    await db.run(
      `INSERT INTO reported_kpis (scope, metric, "window", value, source, at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope, metric, "window") DO UPDATE SET value = excluded.value, source = excluded.source, at = excluded.at`,
      [
        request.scope,
        request.metric,
        request.window,
        request.value,
        request.source ?? null,
        new Date().toISOString(),
      ],
    );
  }

  /** The scope's snapshot; consoles showing it see the new figures now, not at their next one. */
  async #announceReported(scope: string, window: KpiWindow): Promise<KpiSnapshot> {
    const snapshot = await this.metrics(scope, window);
    if (this.#subscriptions.has(`${scope}|${window}`))
      this.emit('update', {
        scope,
        window,
        at: snapshot.at,
        metrics: {},
        reported: snapshot.reported,
      });
    return snapshot;
  }

  async #reported(
    scope: string,
    window: KpiWindow,
    metrics: KpiMetrics,
  ): Promise<KpiSnapshot['reported']> {
    const rows = await this.#db.all<{
      metric: ReportableMetric;
      value: number;
      source: string | null;
      at: string;
    }>('SELECT metric, value, source, at FROM reported_kpis WHERE scope = ? AND "window" = ?', [
      scope,
      window,
    ]);
    const out: KpiSnapshot['reported'] = {};
    for (const row of rows) {
      const observed = metrics[row.metric];
      const difference = observed === null ? null : observed - row.value;
      const entry: ReportedVsObserved = {
        reported: row.value,
        observed,
        difference,
        flagged: difference !== null && Math.abs(difference) > Math.abs(row.value) * 0.1,
        source: row.source,
        at: row.at,
      };
      out[row.metric] = entry;
    }
    return out;
  }

  /** The same metrics every five minutes over the last hour, oldest first (for sparklines). */
  async history(scope: string, window: KpiWindow): Promise<KpiSnapshot[]> {
    const now = Date.now();
    const points: KpiSnapshot[] = [];
    for (let i = HISTORY_POINTS - 1; i >= 0; i--)
      points.push(await this.metrics(scope, window, now - i * 5 * 60_000));
    return points;
  }

  /**
   * What the events say of each agent as of `now`: the latest state, the call they are on
   * (answered, not ended), and the calls whose wrap-up ended today (each center's day).
   */
  async agentDays(now = Date.now()): Promise<Map<string, AgentDay>> {
    const org = await this.#org.get();
    const today = this.#window('today', now, org);
    const out = new Map<string, AgentDay>();
    const day = (id: string) => {
      let d = out.get(id);
      if (!d) out.set(id, (d = { state: undefined, call: undefined, handled: 0, handleMs: 0 }));
      return d;
    };
    for (const agent of this.#agents.values()) {
      let last = agent.states.length - 1;
      while (last >= 0 && agent.states[last]!.at > now) last--;
      if (last >= 0) day(agent.agentId).state = agent.states[last];
    }
    for (const call of this.#callsSince(now - 26 * 3_600_000)) {
      if (!call.agentId || call.answeredAt === undefined || call.answeredAt > now) continue;
      const d = day(call.agentId);
      const over = call.endedAt !== undefined && call.endedAt <= now;
      if (!over && (d.call?.answeredAt ?? -Infinity) < call.answeredAt) d.call = call;
      const wrapped = call.wrapupEndedAt;
      if (wrapped !== undefined && wrapped <= now && wrapped >= today.from(call.team)) {
        d.handled++;
        d.handleMs += wrapped - call.answeredAt;
      }
    }
    return out;
  }

  /** What the ACD's events say of the calls ended between `from` and `to` (ms). */
  endedCalls(from: number, to: number): CallFacts[] {
    return this.#callsSince(from).filter(
      (c) => c.endedAt !== undefined && c.endedAt >= from && c.endedAt <= to,
    );
  }

  /** The facts of one ACD call, by its id. */
  callFacts(callId: string): CallFacts | undefined {
    return this.#calls.get(callId);
  }

  /** A console wants `scope` over `window`: updates for it start. Returns the snapshot. */
  async subscribe(scope: string, window: KpiWindow): Promise<KpiSnapshot> {
    const key = `${scope}|${window}`;
    const snapshot = await this.metrics(scope, window);
    const subscription = this.#subscriptions.get(key) ?? {
      scope,
      window,
      subscribers: 0,
      last: snapshot.metrics,
    };
    subscription.subscribers++;
    this.#subscriptions.set(key, subscription);
    return snapshot;
  }

  unsubscribe(scope: string, window: KpiWindow): void {
    const key = `${scope}|${window}`;
    const subscription = this.#subscriptions.get(key);
    if (!subscription) return;
    subscription.subscribers--;
    if (subscription.subscribers <= 0) this.#subscriptions.delete(key);
  }

  async #tick(): Promise<void> {
    // NOTE: a slow tick is skipped over, not stacked.
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      await this.#publish();
      if (Date.now() - this.#pruned > 10 * 60_000) this.#prune();
      this.#forgetApplied();
    } catch (error) {
      this.#log.error({ err: error }, 'KPI update failed');
    } finally {
      this.#ticking = false;
    }
  }

  async #publish(): Promise<void> {
    if (this.#subscriptions.size === 0) return;
    // NOTE: updates carry metrics only, so the reported figures (a query each) are left to snapshots.
    const org = await this.#org.get();
    const tapped = this.#conversations();
    const now = Date.now();
    const at = new Date(now).toISOString();
    for (const subscription of this.#subscriptions.values()) {
      const metrics = this.#compute(subscription.scope, subscription.window, now, org, tapped);
      const changed: Partial<KpiMetrics> = {};
      for (const key of Object.keys(metrics) as (keyof KpiMetrics)[]) {
        if (JSON.stringify(metrics[key]) !== JSON.stringify(subscription.last?.[key])) {
          (changed as Record<string, unknown>)[key] = metrics[key];
        }
      }
      subscription.last = metrics;
      if (Object.keys(changed).length)
        this.emit('update', {
          scope: subscription.scope,
          window: subscription.window,
          at,
          metrics: changed,
        });
    }
  }

  /** The ids kept to apply events once: a few seconds of them, or all since an outage. */
  #forgetApplied(): void {
    if (this.#missingSince !== null) return;
    const cutoff = Date.now() - APPLIED_KEEP_MS;
    for (const [id, at] of this.#appliedIds) {
      if (at >= cutoff) break;
      this.#appliedIds.delete(id);
    }
  }

  #prune(): void {
    const cutoff = Date.now() - KEEP_MS;
    this.#pruned = Date.now();
    for (const [id, call] of this.#calls) {
      const last = Math.max(
        call.offeredAt ?? 0,
        call.wrapupEndedAt ?? 0,
        call.endedAt ?? 0,
        call.csat?.at ?? 0,
      );
      if (last < cutoff) this.#calls.delete(id);
    }
    this.#order = this.#order.filter((o) => this.#calls.get(o.call.callId) === o.call);
    for (const agent of this.#agents.values()) {
      const keepFrom = agent.states.findIndex((s) => s.at >= cutoff);
      if (keepFrom > 1) agent.states.splice(0, keepFrom - 1);
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
