// The KPI definitions, as pure functions over what the events established. Every time is
// ms since the epoch; `now` may be in the past (history), and facts after it are ignored.
import type { AgentState, Call, KpiMetrics } from '@earshot/shared';

export interface CallFacts {
  callId: string;
  team: string | undefined;
  offeredAt: number | undefined;
  answeredAt: number | undefined;
  agentId: string | undefined;
  abandonedAt: number | undefined;
  endedAt: number | undefined;
  wrapupEndedAt: number | undefined;
  /** Hold and resume moments, as they came (paired in time order when read). */
  holdMarks: { at: number; held: boolean }[];
  transferredAt: number | undefined;
  csat: { at: number; value: number } | undefined;
  /** What the ACD said the call came to when it ended. */
  disposition: string | undefined;
}

/** What is known of a call before any event about it. */
export const newCallFacts = (callId: string): CallFacts => ({
  callId,
  team: undefined,
  offeredAt: undefined,
  answeredAt: undefined,
  agentId: undefined,
  abandonedAt: undefined,
  endedAt: undefined,
  wrapupEndedAt: undefined,
  holdMarks: [],
  transferredAt: undefined,
  csat: undefined,
  disposition: undefined,
});

/**
 * What the KPIs keep of a tapped call: where it belongs, its customer's number and what its
 * audio showed. Ended calls are kept this way (a few hundred bytes, not the whole call).
 */
export interface Conversation {
  id: string;
  externalId: string | null;
  center: string;
  region: string;
  team: string;
  agentId: string;
  customerNumber: string | null;
  startedAt: number;
  endedAt: number | null;
  agentTalkMs: number;
  customerTalkMs: number;
  overtalkMs: number;
  silenceMs: number;
  durationMs: number;
  longestDeadAirMs: number;
  discrepancies: number;
}

export const conversationOf = (call: Call): Conversation => ({
  id: call.id,
  externalId: call.externalId,
  center: call.center,
  region: call.region,
  team: call.team,
  agentId: call.agent.id,
  customerNumber: call.customer.number,
  startedAt: Date.parse(call.startedAt),
  endedAt: call.endedAt === null ? null : Date.parse(call.endedAt),
  agentTalkMs: call.audio.agentTalkMs,
  customerTalkMs: call.audio.customerTalkMs,
  overtalkMs: call.audio.overtalkMs,
  silenceMs: call.audio.silenceMs,
  durationMs: call.audio.durationMs,
  longestDeadAirMs: call.audio.longestDeadAirMs,
  discrepancies: call.discrepancies,
});

export interface AgentFacts {
  agentId: string;
  team: string;
  /** State changes in time order. */
  states: { at: number; state: AgentState }[];
}

/** Answered within this long counts towards the service level. */
export const SERVICE_LEVEL_MS = 20_000;
/** Abandoned before this long is a short abandon, left out of service level and abandon rate. */
export const SHORT_ABANDON_MS = 5_000;

const mean = (xs: number[]): number | null =>
  xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);
const upTo = (t: number | undefined, now: number): number | undefined =>
  t !== undefined && t <= now ? t : undefined;

/** Holds as intervals (an open hold runs to `now`), from marks in any arrival order. */
export function holdIntervals(
  marks: CallFacts['holdMarks'],
  now: number,
): { start: number; end: number; open: boolean }[] {
  const sorted = marks.filter((m) => m.at <= now).sort((a, b) => a.at - b.at);
  const out: { start: number; end: number; open: boolean }[] = [];
  let start: number | undefined;
  for (const mark of sorted) {
    if (mark.held && start === undefined) start = mark.at;
    else if (!mark.held && start !== undefined) {
      out.push({ start, end: mark.at, open: false });
      start = undefined;
    }
  }
  if (start !== undefined) out.push({ start, end: now, open: true });
  return out;
}

export interface Window {
  /** The window's start for a call or an agent of a given team (midnight differs by zone). */
  from(team: string | undefined): number;
  now: number;
}

const emptyStates = (): Record<AgentState, number> => ({
  available: 0,
  on_call: 0,
  wrap_up: 0,
  break: 0,
  offline: 0,
});

export type AudioMetrics = Pick<
  KpiMetrics,
  'talkRatio' | 'silenceShare' | 'overtalkMs' | 'longestDeadAirMs' | 'discrepancies' | 'repeatRate'
>;

/** A customer calling again within this long counts as a repeat call. */
export const REPEAT_WITHIN_MS = 24 * 3_600_000;

/**
 * Repeat calls among the tapped calls that started in the window: the same customer
 * number called before within 24 h (`history` holds the calls to look back on).
 */
export function repeatRate(
  inWindow: Conversation[],
  history: Iterable<Conversation>,
): number | null {
  const starts = new Map<string, number[]>();
  for (const c of history) {
    if (!c.customerNumber) continue;
    const list = starts.get(c.customerNumber) ?? [];
    list.push(c.startedAt);
    starts.set(c.customerNumber, list);
  }
  let known = 0;
  let repeats = 0;
  for (const c of inWindow) {
    if (!c.customerNumber) continue;
    known++;
    const start = c.startedAt;
    if (
      (starts.get(c.customerNumber) ?? []).some((t) => t < start && start - t <= REPEAT_WITHIN_MS)
    )
      repeats++;
  }
  return ratio(repeats, known);
}

/** What the audio of tapped calls shows: the live ones, and those ended in the window. */
export function audioMetrics(calls: Iterable<Conversation>, window: Window): AudioMetrics {
  const all = [...calls];
  const started = all.filter(
    (c) => c.startedAt >= window.from(c.team) && c.startedAt <= window.now,
  );
  let agent = 0;
  let customer = 0;
  let silence = 0;
  let duration = 0;
  let overtalk = 0;
  let longest: number | null = null;
  let discrepancies = 0;
  let any = false;
  for (const c of all) {
    if (c.endedAt !== null && c.endedAt < window.from(c.team)) continue;
    if (c.startedAt > window.now) continue;
    any = true;
    agent += c.agentTalkMs;
    customer += c.customerTalkMs;
    silence += c.silenceMs;
    duration += c.durationMs;
    overtalk += c.overtalkMs;
    longest = Math.max(longest ?? 0, c.longestDeadAirMs);
    discrepancies += c.discrepancies;
  }
  return {
    talkRatio: ratio(agent, agent + customer),
    silenceShare: ratio(silence, duration),
    overtalkMs: any ? overtalk : null,
    longestDeadAirMs: any ? longest : null,
    discrepancies,
    repeatRate: repeatRate(started, all),
  };
}

/** Every event-derived metric for the calls and agents of one scope. */
export function computeMetrics(
  calls: Iterable<CallFacts>,
  agents: Iterable<AgentFacts>,
  window: Window,
): Omit<KpiMetrics, keyof AudioMetrics> {
  const now = window.now;
  let offered = 0;
  let answered = 0;
  let abandoned = 0;
  let shortAbandons = 0;
  let withinSl = 0;
  let withHold = 0;
  let transferred = 0;
  let activeCalls = 0;
  let queueDepth = 0;
  let longestWait: number | null = null;
  const waits: number[] = [];
  const handles: number[] = [];
  const holdDurations: number[] = [];
  const csats: number[] = [];

  for (const c of calls) {
    const offeredAt = upTo(c.offeredAt, now);
    const answeredAt = upTo(c.answeredAt, now);
    const abandonedAt = upTo(c.abandonedAt, now);
    const endedAt = upTo(c.endedAt, now);
    const from = window.from(c.team);
    // Now: what is on the floor at this moment.
    if (answeredAt !== undefined && endedAt === undefined) activeCalls++;
    if (
      offeredAt !== undefined &&
      answeredAt === undefined &&
      abandonedAt === undefined &&
      endedAt === undefined
    ) {
      queueDepth++;
      longestWait = Math.max(longestWait ?? 0, now - offeredAt);
    }
    const wrapupEndedAt = upTo(c.wrapupEndedAt, now);
    if (wrapupEndedAt !== undefined && wrapupEndedAt >= from && answeredAt !== undefined)
      handles.push(wrapupEndedAt - answeredAt);
    if (c.csat && c.csat.at <= now && c.csat.at >= from) csats.push(c.csat.value);
    if (offeredAt === undefined || offeredAt < from) continue;
    // In the window: calls offered in it.
    offered++;
    if (abandonedAt !== undefined && answeredAt === undefined) {
      if (abandonedAt - offeredAt < SHORT_ABANDON_MS) shortAbandons++;
      else abandoned++;
      continue;
    }
    if (answeredAt === undefined) continue;
    answered++;
    const wait = answeredAt - offeredAt;
    waits.push(wait);
    if (wait <= SERVICE_LEVEL_MS) withinSl++;
    const holds = holdIntervals(c.holdMarks, now);
    if (holds.length) withHold++;
    for (const h of holds) if (!h.open) holdDurations.push(h.end - h.start);
    if (upTo(c.transferredAt, now) !== undefined) transferred++;
  }

  const agentsByState = emptyStates();
  let busy = 0;
  let staffed = 0;
  for (const a of agents) {
    // Only the states from the one in force at the window's start up to now are read.
    const states = a.states;
    let last = states.length - 1;
    while (last >= 0 && states[last]!.at > now) last--;
    if (last < 0) continue;
    agentsByState[states[last]!.state]++;
    const from = window.from(a.team);
    let first = last;
    while (first > 0 && states[first]!.at > from) first--;
    for (let i = first; i <= last; i++) {
      const s = states[i]!;
      const start = Math.max(s.at, from);
      const end = i < last ? states[i + 1]!.at : now;
      if (end <= start) continue;
      if (s.state === 'on_call' || s.state === 'wrap_up') busy += end - start;
      if (s.state === 'on_call' || s.state === 'wrap_up' || s.state === 'available')
        staffed += end - start;
    }
  }

  return {
    serviceLevel: ratio(withinSl, answered + abandoned),
    abandonRate: ratio(abandoned, offered - shortAbandons),
    occupancy: ratio(busy, staffed),
    holdRate: ratio(withHold, answered),
    transferRate: ratio(transferred, answered),
    asaMs: mean(waits),
    ahtMs: mean(handles),
    avgHoldMs: mean(holdDurations),
    longestWaitMs: longestWait,
    offered,
    answered,
    abandoned,
    activeCalls,
    queueDepth,
    csat: mean(csats),
    agentsByState,
  };
}

/** The UTC instant of the last local midnight in `timeZone` at `now`. */
export function localMidnight(timeZone: string, now: number): number {
  const parts = (t: number) => {
    const p = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }).formatToParts(t);
    const get = (type: string) => Number(p.find((x) => x.type === type)?.value);
    return {
      y: get('year'),
      m: get('month'),
      d: get('day'),
      h: get('hour'),
      min: get('minute'),
      s: get('second'),
    };
  };
  const offsetAt = (t: number) => {
    const p = parts(t);
    return Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s) - Math.floor(t / 1000) * 1000;
  };
  const today = parts(now);
  const utcMidnight = Date.UTC(today.y, today.m - 1, today.d);
  // The zone's offset at midnight may differ from now's (a DST change that day).
  let guess = utcMidnight - offsetAt(now);
  guess = utcMidnight - offsetAt(guess);
  return guess;
}
