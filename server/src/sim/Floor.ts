// The contact-center floor the simulator lives through: every team's agents logging in and
// out to a staffing forecast, breaks, Poisson arrivals shaped by each center's local time,
// queues that form when the floor is short, abandons, holds, transfers, wrap-up and
// surveys. It runs on a scheduler of its own, so a whole day can pass in a moment (the
// warm-up before the demo starts, tests) or at the pace of the wall clock.
import type { AgentState, Center, Org, ReportableMetric, Team } from '@earshot/shared';
import { SERVICE_LEVEL_MS, SHORT_ABANDON_MS } from '../kpi/kpiMath.ts';
import type { Random } from './random.ts';

/** A contact-center event as the ACD would report it (the KPI feed's contract). */
export type SimEventBody =
  | { type: 'call.offered'; callId: string; team: string }
  | { type: 'call.answered'; callId: string; agentId: string }
  | { type: 'call.held'; callId: string }
  | { type: 'call.resumed'; callId: string }
  | { type: 'call.transferred'; callId: string; toTeam: string }
  | { type: 'call.ended'; callId: string; disposition: string; reason: string }
  | { type: 'call.wrapup_ended'; callId: string }
  | { type: 'call.abandoned'; callId: string }
  | { type: 'survey.result'; callId: string; csat: number }
  | { type: 'agent.state'; agentId: string; team: string; state: AgentState };

/** Runs callbacks in time order on a clock of its own (ms since the epoch). */
export class Scheduler {
  #now: number;
  #seq = 0;
  readonly #heap: { at: number; seq: number; fn: () => void }[] = [];

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#heap.length;
  }

  after(ms: number, fn: () => void): void {
    const heap = this.#heap;
    heap.push({ at: this.#now + Math.max(0, ms), seq: this.#seq++, fn });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Runs everything due up to `t`, in order, and sets the clock to `t`. */
  runUntil(t: number): void {
    const heap = this.#heap;
    while (heap.length && heap[0]!.at <= t) {
      const next = heap[0]!;
      const last = heap.pop()!;
      if (heap.length) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
          if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m]!, heap[i]!];
          i = m;
        }
      }
      this.#now = next.at;
      next.fn();
    }
    this.#now = Math.max(this.#now, t);
  }

  clear(): void {
    this.#heap.length = 0;
  }
}
const before = (a: { at: number; seq: number }, b: { at: number; seq: number }) =>
  a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** Local hour (fractional) in a time zone. */
export function localHour(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') + get('minute') / 60;
}

/** Relative call volume by local hour: a morning and an early-afternoon peak, quiet nights. */
export function diurnal(hour: number): number {
  const peak = (h: number, width: number) => Math.exp(-((hour - h) ** 2) / (2 * width * width));
  return 0.08 + 0.9 * peak(10.5, 2) + 0.75 * peak(14.5, 2.2) + 0.3 * peak(19, 1.5);
}
const DIURNAL_MAX = Math.max(...Array.from({ length: 240 }, (_, i) => diurnal(i / 10)));

/**
 * Erlang C: the share of calls answered within `thresholdS` with `agents` agents, for
 * `erlangs` of offered traffic (arrivals per second x handle seconds).
 */
export function erlangServiceLevel(
  agents: number,
  erlangs: number,
  handleS: number,
  thresholdS: number,
): number {
  if (agents <= erlangs) return 0;
  // Terms A^k / k!, summed stably.
  let term = 1;
  let sum = 1;
  for (let k = 1; k < agents; k++) {
    term *= erlangs / k;
    sum += term;
  }
  const last = ((term * erlangs) / agents) * (agents / (agents - erlangs));
  const wait = last / (sum + last);
  return 1 - wait * Math.exp((-(agents - erlangs) * thresholdS) / handleS);
}

/** The fewest agents that answer `SL_TARGET` of calls within the threshold. */
export function agentsNeeded(ratePerS: number, handleS: number, thresholdS: number): number {
  const erlangs = ratePerS * handleS;
  let agents = Math.max(1, Math.ceil(erlangs));
  while (erlangServiceLevel(agents, erlangs, handleS, thresholdS) < SL_TARGET) agents++;
  return agents;
}

export function isOpen(team: Team, hour: number): boolean {
  if (team.hours.kind === 'always') return true;
  const [oh, om] = team.hours.open.split(':').map(Number) as [number, number];
  const [ch, cm] = team.hours.close.split(':').map(Number) as [number, number];
  return hour >= oh + om / 60 && hour < ch + cm / 60;
}

/** Mean talk time per kind of team, seconds (handle time adds holds and wrap-up). */
const MEAN_TALK_S = { conventional: 240, specialty: 330 };
const WRAP_S: [number, number] = [15, 60];
/** The occupancy a team's whole staff runs at when it meets the peak (sets the load). */
const TARGET_OCCUPANCY = 0.85;
/** What workforce management staffs for: 80 % of calls answered within 20 s. */
const SL_TARGET = 0.8;
/** Staffing is planned in quarter hours, as workforce management does. */
const INTERVAL_MS = 15 * 60_000;
/** How long callers wait before they give up, on average. */
const MEAN_PATIENCE_MS = 90_000;
const CSAT_WEIGHTS = [0.05, 0.07, 0.13, 0.35, 0.4];

/** Why customers call, and how often (the demo organisation's reasons). */
const REASONS: [string, number][] = [
  ['billing', 0.35],
  ['device', 0.25],
  ['network', 0.2],
  ['plan change', 0.12],
  ['cancellation', 0.08],
];
/** How calls end, and how often. */
const OUTCOMES: [string, number][] = [
  ['resolved', 0.68],
  ['follow-up', 0.2],
  ['escalated', 0.12],
];
/** Calls whose disposition says something other than what happened on the line. */
const MISREPORTED = 0.08;

function weighted(random: Random, options: [string, number][]): string {
  let r = random.next();
  for (const [value, weight] of options) if ((r -= weight) <= 0) return value;
  return options.at(-1)![0];
}

/** A call an agent picked up, as the simulator may tap it. */
export interface AnsweredCall {
  /** Why the customer called and how it ends, as heard on the line. */
  reason: string;
  outcome: string;
  callId: string;
  team: Team;
  center: Center;
  agent: { id: string; name: string };
  talkSeconds: number;
  /** Hold stretches as [startSecond, seconds] in call time. */
  holds: [number, number][];
}

export interface FloorOptions {
  org: Org;
  random: Random;
  scheduler: Scheduler;
  /** Every event, at the scheduler's time. */
  emit(event: SimEventBody): void;
  /** Unique call ids. */
  nextCallId(): string;
  onAnswered?(call: AnsweredCall): void;
  onEnded?(callId: string): void;
  /**
   * Offered load at the day's peak, against what a team's whole staff handles at the
   * target occupancy: above 1 the floor is short at peaks and queues form (default 1.1).
   */
  peakLoad?: number;
}

interface FloorAgent {
  id: string;
  name: string;
  state: AgentState;
  /** Logs out when its current call is done (the interval's staffing went down). */
  leaving: boolean;
}

interface Waiting {
  callId: string;
  offeredAt: number;
  done: boolean;
}

interface TeamFloor {
  team: Team;
  center: Center;
  agents: FloorAgent[];
  queue: Waiting[];
  meanTalkS: number;
  /** Expected handle time, seconds. */
  ahtS: number;
  /** Arrivals per second at the day's peak. */
  peakRate: number;
}

/** What a center's staff would report for today: the floor's own count. */
export interface CenterDay {
  day: string;
  offered: number;
  answered: number;
  answeredInSl: number;
  abandoned: number;
  shortAbandoned: number;
  handleMs: number;
  handled: number;
  csatSum: number;
  csatCount: number;
}

export class Floor {
  readonly #o: FloorOptions;
  readonly #teams: TeamFloor[];
  readonly #days = new Map<string, CenterDay>();

  constructor(options: FloorOptions) {
    this.#o = options;
    const { org } = options;
    const peakLoad = options.peakLoad ?? 1.1;
    this.#teams = org.teams.map((team) => {
      const center = org.centers.find((c) => c.id === team.centerId)!;
      const agents = org.agents
        .filter((a) => a.teamId === team.id)
        .map((a) => ({ id: a.id, name: a.name, state: 'offline' as AgentState, leaving: false }));
      const meanTalkS = team.specialty ? MEAN_TALK_S.specialty : MEAN_TALK_S.conventional;
      // Talk, about 18 s of hold on average, wrap-up.
      const ahtS = meanTalkS + 18 + (WRAP_S[0] + WRAP_S[1]) / 2;
      const peakRate = (peakLoad * agents.length * TARGET_OCCUPANCY) / ahtS;
      return { team, center, agents, queue: [], meanTalkS, ahtS, peakRate };
    });
  }

  /** Starts staffing and arrivals from the scheduler's now. */
  start(): void {
    for (const floor of this.#teams) {
      this.#staff(floor);
      this.#scheduleArrival(floor);
    }
  }

  /** Today's count of a center, as its staff would put it in their report. */
  centerDay(centerId: string): CenterDay | undefined {
    return this.#days.get(centerId);
  }

  /** The figures a center's staff report for today (their own count of the floor). */
  reportedToday(centerId: string): Partial<Record<ReportableMetric, number>> {
    const d = this.#days.get(centerId);
    if (!d) return {};
    const out: Partial<Record<ReportableMetric, number>> = {};
    const slBase = d.answered + d.abandoned - d.shortAbandoned;
    if (slBase > 0) out.serviceLevel = d.answeredInSl / slBase;
    if (d.offered - d.shortAbandoned > 0)
      out.abandonRate = (d.abandoned - d.shortAbandoned) / (d.offered - d.shortAbandoned);
    if (d.handled > 0) out.ahtMs = d.handleMs / d.handled;
    if (d.csatCount > 0) out.csat = d.csatSum / d.csatCount;
    out.offered = d.offered;
    return out;
  }

  /** Agents per state now, over the whole floor. */
  agentsByState(): Record<AgentState, number> {
    const out: Record<AgentState, number> = {
      available: 0,
      on_call: 0,
      wrap_up: 0,
      break: 0,
      offline: 0,
    };
    for (const floor of this.#teams) for (const a of floor.agents) out[a.state]++;
    return out;
  }

  #now(): number {
    return this.#o.scheduler.now();
  }

  #after(ms: number, fn: () => void): void {
    this.#o.scheduler.after(ms, fn);
  }

  #day(floor: TeamFloor): CenterDay {
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: floor.center.timeZone }).format(
      new Date(this.#now()),
    );
    let d = this.#days.get(floor.center.id);
    if (!d || d.day !== day) {
      d = {
        day,
        offered: 0,
        answered: 0,
        answeredInSl: 0,
        abandoned: 0,
        shortAbandoned: 0,
        handleMs: 0,
        handled: 0,
        csatSum: 0,
        csatCount: 0,
      };
      this.#days.set(floor.center.id, d);
    }
    return d;
  }

  #setState(floor: TeamFloor, agent: FloorAgent, state: AgentState): void {
    agent.state = state;
    this.#o.emit({ type: 'agent.state', agentId: agent.id, team: floor.team.id, state });
  }

  /** Arrivals per second now. */
  #rate(floor: TeamFloor, hour: number): number {
    if (!isOpen(floor.team, hour)) return 0;
    return (floor.peakRate * diurnal(hour)) / DIURNAL_MAX;
  }

  /**
   * Each quarter hour: staff the coming interval to its forecast (Erlang C for the service
   * level target, with a forecast error), at most the team's whole staff.
   */
  #staff(floor: TeamFloor): void {
    const { random } = this.#o;
    const hour = localHour(this.#now() + INTERVAL_MS / 2, floor.center.timeZone);
    const rate = this.#rate(floor, hour);
    // NOTE: ring and IVR take about 4 s of the 20 s before the queue is reached.
    const needed = rate === 0 ? 0 : agentsNeeded(rate, floor.ahtS, SERVICE_LEVEL_MS / 1000 - 4);
    const target =
      rate === 0
        ? 0
        : Math.min(
            floor.agents.length,
            Math.max(2, Math.round(needed * random.between(0.9, 1.04))),
          );
    const working = floor.agents.filter((a) => a.state !== 'offline' && !a.leaving);
    if (working.length < target) {
      for (const agent of floor.agents) {
        if (working.length >= target) break;
        if (agent.leaving) {
          agent.leaving = false;
          working.push(agent);
        } else if (agent.state === 'offline') {
          this.#setState(floor, agent, 'available');
          working.push(agent);
          this.#serve(floor, agent);
        }
      }
    } else {
      for (const agent of working.slice(target)) {
        if (agent.state === 'available' || agent.state === 'break')
          this.#setState(floor, agent, 'offline');
        else agent.leaving = true;
      }
    }
    // A few of those free now take a short break.
    for (const agent of floor.agents) {
      if (agent.state !== 'available' || !random.chance(0.04)) continue;
      this.#setState(floor, agent, 'break');
      this.#after(random.between(5, 15) * 60_000, () => {
        if (agent.state !== 'break') return;
        this.#setState(floor, agent, agent.leaving ? 'offline' : 'available');
        agent.leaving = false;
        this.#serve(floor, agent);
      });
    }
    this.#after(INTERVAL_MS, () => this.#staff(floor));
  }

  #scheduleArrival(floor: TeamFloor): void {
    const rate = this.#rate(floor, localHour(this.#now(), floor.center.timeZone));
    if (rate === 0) {
      this.#after(5 * 60_000, () => this.#scheduleArrival(floor));
      return;
    }
    // NOTE: the rate is taken at each arrival; it moves slowly against the gaps between calls.
    this.#after(this.#o.random.exponential(1000 / rate), () => {
      this.#offer(floor);
      this.#scheduleArrival(floor);
    });
  }

  #offer(floor: TeamFloor): void {
    const { random } = this.#o;
    const callId = this.#o.nextCallId();
    this.#o.emit({ type: 'call.offered', callId, team: floor.team.id });
    this.#day(floor).offered++;
    const waiting: Waiting = { callId, offeredAt: this.#now(), done: false };
    // Ring and IVR before the call reaches the queue.
    this.#after(random.between(2000, 6000), () => {
      const free = floor.agents.find((a) => a.state === 'available');
      if (free) {
        this.#answer(floor, waiting, free);
        return;
      }
      floor.queue.push(waiting);
      this.#after(random.exponential(MEAN_PATIENCE_MS), () => {
        if (waiting.done) return;
        waiting.done = true;
        floor.queue.splice(floor.queue.indexOf(waiting), 1);
        this.#o.emit({ type: 'call.abandoned', callId });
        const d = this.#day(floor);
        d.abandoned++;
        if (this.#now() - waiting.offeredAt < SHORT_ABANDON_MS) d.shortAbandoned++;
      });
    });
  }

  /** An agent just became free: the longest waiting caller gets them. */
  #serve(floor: TeamFloor, agent: FloorAgent): void {
    if (agent.state !== 'available') return;
    const next = floor.queue.shift();
    if (next) this.#answer(floor, next, agent);
  }

  #answer(floor: TeamFloor, waiting: Waiting, agent: FloorAgent): void {
    const { random } = this.#o;
    const { callId } = waiting;
    waiting.done = true;
    const d = this.#day(floor);
    d.answered++;
    if (this.#now() - waiting.offeredAt <= SERVICE_LEVEL_MS) d.answeredInSl++;
    const answeredAt = this.#now();
    this.#setState(floor, agent, 'on_call');
    this.#o.emit({ type: 'call.answered', callId, agentId: agent.id });
    const talkS = Math.min(1200, Math.max(20, random.logNormal(floor.meanTalkS, 0.6)));
    const holds: [number, number][] = [];
    if (random.chance(0.25)) {
      const count = random.chance(0.3) ? 2 : 1;
      for (let i = 0; i < count; i++)
        holds.push([
          talkS * ((i + 1) / (count + 1)) + random.between(-10, 10),
          // Now and then the agent forgets the caller on hold.
          random.chance(0.04) ? random.between(150, 300) : random.between(20, 90),
        ]);
    }
    let held = 0;
    for (const [start, seconds] of holds) {
      const at = (start + held) * 1000;
      this.#after(at, () => this.#o.emit({ type: 'call.held', callId }));
      this.#after(at + seconds * 1000, () => this.#o.emit({ type: 'call.resumed', callId }));
      held += seconds;
    }
    const totalMs = (talkS + held) * 1000;
    if (random.chance(0.08)) {
      const others = this.#o.org.teams.filter(
        (t) => t.centerId === floor.team.centerId && t.id !== floor.team.id,
      );
      if (others.length) {
        const toTeam = random.pick(others).id;
        this.#after(totalMs * random.between(0.5, 0.9), () =>
          this.#o.emit({ type: 'call.transferred', callId, toTeam }),
        );
      }
    }
    // What the call is about and how it ends; now and then the disposition says otherwise.
    const reason = weighted(random, REASONS);
    const outcome = weighted(random, OUTCOMES);
    const misreported = random.chance(MISREPORTED);
    const disposition = misreported
      ? random.chance(0.5)
        ? `${weighted(
            random,
            REASONS.filter(([r]) => r !== reason),
          )}/${outcome}`
        : `${reason}/${outcome === 'resolved' ? 'follow-up' : 'resolved'}`
      : `${reason}/${outcome}`;
    this.#o.onAnswered?.({
      reason,
      outcome,
      callId,
      team: floor.team,
      center: floor.center,
      agent: { id: agent.id, name: agent.name },
      talkSeconds: talkS,
      holds,
    });
    this.#after(totalMs, () => {
      this.#o.onEnded?.(callId);
      this.#o.emit({ type: 'call.ended', callId, disposition, reason: 'agent-hangup' });
      this.#setState(floor, agent, 'wrap_up');
      if (random.chance(0.25)) {
        this.#after(random.between(60_000, 600_000), () => {
          let r = random.next();
          let csat = 1;
          for (const [i, w] of CSAT_WEIGHTS.entries()) {
            csat = i + 1;
            if ((r -= w) <= 0) break;
          }
          this.#o.emit({ type: 'survey.result', callId, csat });
          const day = this.#day(floor);
          day.csatSum += csat;
          day.csatCount++;
        });
      }
      // Now and then an agent lingers in wrap-up.
      const wrapS = random.chance(0.02) ? random.between(150, 300) : random.between(...WRAP_S);
      this.#after(wrapS * 1000, () => {
        this.#o.emit({ type: 'call.wrapup_ended', callId });
        const day = this.#day(floor);
        day.handled++;
        day.handleMs += this.#now() - answeredAt;
        if (agent.leaving) {
          agent.leaving = false;
          this.#setState(floor, agent, 'offline');
        } else {
          this.#setState(floor, agent, 'available');
          this.#serve(floor, agent);
        }
      });
    });
  }
}
