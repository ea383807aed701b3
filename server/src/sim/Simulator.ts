import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import {
  buildRtp,
  linearToUlaw,
  type CreateCallResponse,
  type Org,
  type Team,
} from '@earshot/shared';
import type { Logger } from '../log/logger.ts';
import { Conversation } from './Conversation.ts';
import { demoOrg } from './demoOrg.ts';
import { Random } from './random.ts';
import { renderVoices, type VoiceBank } from './voices.ts';

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
  | {
      type: 'agent.state';
      agentId: string;
      team: string;
      state: 'available' | 'on_call' | 'wrap_up';
    };
export type SimEvent = { id: string; at: string } & SimEventBody;

export interface SimulatorOptions {
  baseUrl: string;
  ingestToken: string;
  /**
   * Declares the demo organisation (an admin's right, not an ingest token's): in-process
   * straight into the repository, from the command line through an admin's session.
   */
  declareOrg: (org: Org) => Promise<void>;
  seed: number;
  /** Calls in progress on average; arrivals are scaled to it. */
  concurrentCalls: number;
  /** The first calls arrive within this long of the start (default 8 s). */
  rampUpMs?: number;
  /** Ringing and IVR time before an agent can pick up, [min, max] (default 2-9 s). */
  ringMs?: [number, number];
  logger: Logger;
}

interface MediaSession {
  earshotId: string;
  conversation: Conversation;
  startedAt: number;
  framesSent: number;
  ssrc: Record<'agent' | 'customer', number>;
  seq: Record<'agent' | 'customer', number>;
  ports: Record<'agent' | 'customer', { ip: string; port: number }>;
}

const FRAME_MS = 20;
const ULAW = Uint8Array.from({ length: 65536 }, (_, i) => linearToUlaw(i - 32768));
const MEAN_TALK_S = { conventional: 240, specialty: 330 };

/** Local hour (fractional) in a time zone. */
function localHour(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') + get('minute') / 60;
}

/** Relative call volume by local hour: a morning and an early-afternoon peak, quiet nights. */
function diurnal(hour: number): number {
  const peak = (h: number, width: number) => Math.exp(-((hour - h) ** 2) / (2 * width * width));
  return 0.08 + 0.9 * peak(10.5, 2) + 0.75 * peak(14.5, 2.2) + 0.3 * peak(19, 1.5);
}

function isOpen(team: Team, hour: number): boolean {
  if (team.hours.kind === 'always') return true;
  const [oh, om] = team.hours.open.split(':').map(Number) as [number, number];
  const [ch, cm] = team.hours.close.split(':').map(Number) as [number, number];
  return hour >= oh + om / 60 && hour < ch + cm / 60;
}

/**
 * The built-in call simulator: a real client of the ingest API. It declares the demo
 * organisation, then lives through calls (offered, queued, answered or abandoned, held,
 * transferred, ended, wrap-up) with Poisson arrivals shaped by each center's local time
 * and team hours, and streams both legs of every answered call as real RTP.
 */
export class Simulator extends EventEmitter<{ event: [SimEvent] }> {
  readonly #o: SimulatorOptions;
  readonly #random: Random;
  readonly #org: Org;
  readonly #voices: VoiceBank;
  readonly #socket: Socket;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #busyAgents = new Set<string>();
  readonly #media = new Map<string, MediaSession>();
  readonly #recent: SimEvent[] = [];
  #pump: NodeJS.Timeout | undefined;
  #feed: NodeJS.Timeout | undefined;
  #outbox: SimEvent[] = [];
  #sequence = 0;
  #stopped = false;

  private constructor(
    options: SimulatorOptions,
    org: Org,
    voices: VoiceBank,
    random: Random,
    socket: Socket,
  ) {
    super();
    this.#o = options;
    this.#org = org;
    this.#voices = voices;
    this.#random = random;
    this.#socket = socket;
  }

  static async start(options: SimulatorOptions): Promise<Simulator> {
    const random = new Random(options.seed);
    const org = demoOrg(random);
    const voices = renderVoices(random);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const sim = new Simulator(options, org, voices, random, socket);
    try {
      await options.declareOrg(org);
    } catch (error) {
      socket.close();
      throw error;
    }
    options.logger.info(
      {
        centers: org.centers.length,
        teams: org.teams.length,
        agents: org.agents.length,
        voices: voices.engine,
      },
      'simulator declared the demo organisation',
    );
    // Every agent of a team open now starts available: the floor is staffed.
    const now = new Date();
    for (const team of org.teams) {
      const center = org.centers.find((c) => c.id === team.centerId)!;
      if (!isOpen(team, localHour(now, center.timeZone))) continue;
      for (const agent of org.agents) {
        if (agent.teamId === team.id)
          sim.#emitEvent({
            type: 'agent.state',
            agentId: agent.id,
            team: team.id,
            state: 'available',
          });
      }
    }
    // Start with a floor already busy: the first calls arrive within the first seconds.
    for (let i = 0; i < options.concurrentCalls; i++)
      sim.#after(random.between(0, options.rampUpMs ?? 8000), () => sim.#offer());
    sim.#scheduleArrival();
    sim.#pump = setInterval(() => sim.#sendDueFrames(), FRAME_MS);
    sim.#feed = setInterval(() => void sim.#postEvents(), 1000);
    return sim;
  }

  /** The latest events, oldest first (at most 1000). */
  recentEvents(): readonly SimEvent[] {
    return this.#recent;
  }

  get org(): Org {
    return this.#org;
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.#o.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.#o.ingestToken}`,
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  #after(ms: number, fn: () => void): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopped) fn();
    }, ms);
    this.#timers.add(timer);
  }

  #emitEvent(event: SimEventBody): void {
    const full: SimEvent = {
      ...event,
      id: `sim-${this.#o.seed}-${++this.#sequence}`,
      at: new Date().toISOString(),
    };
    this.#recent.push(full);
    this.#outbox.push(full);
    if (this.#recent.length > 1000) this.#recent.shift();
    this.#o.logger.debug(full, 'sim event');
    this.emit('event', full);
  }

  #scheduleArrival(): void {
    const meanTalk = (MEAN_TALK_S.conventional + MEAN_TALK_S.specialty) / 2;
    const meanGapMs = ((meanTalk + 30) * 1000) / this.#o.concurrentCalls;
    this.#after(this.#random.exponential(meanGapMs), () => {
      this.#offer();
      this.#scheduleArrival();
    });
  }

  #pickTeam(now: Date): Team | undefined {
    const weights = this.#org.teams.map((team) => {
      const center = this.#org.centers.find((c) => c.id === team.centerId)!;
      const hour = localHour(now, center.timeZone);
      if (!isOpen(team, hour)) return 0;
      return this.#org.agents.filter((a) => a.teamId === team.id).length * diurnal(hour);
    });
    const total = weights.reduce((a, b) => a + b, 0);
    if (total === 0) return undefined;
    let r = this.#random.next() * total;
    for (const [i, w] of weights.entries()) {
      r -= w;
      if (r <= 0) return this.#org.teams[i];
    }
    return this.#org.teams.at(-1);
  }

  #offer(): void {
    const team = this.#pickTeam(new Date());
    if (!team) return;
    const callId = `sim-call-${this.#o.seed}-${++this.#sequence}`;
    this.#emitEvent({ type: 'call.offered', callId, team: team.id });
    const patienceMs = this.#random.exponential(75_000);
    const waitStart = Date.now();
    const tryAnswer = () => {
      const free = this.#org.agents.filter(
        (a) => a.teamId === team.id && !this.#busyAgents.has(a.id),
      );
      if (free.length > 0) {
        void this.#answer(callId, team, this.#random.pick(free).id);
      } else if (Date.now() - waitStart > patienceMs) {
        this.#emitEvent({ type: 'call.abandoned', callId });
      } else {
        this.#after(2000, tryAnswer);
      }
    };
    // Ring and IVR before an agent picks up.
    const [ringMin, ringMax] = this.#o.ringMs ?? [2000, 9000];
    this.#after(this.#random.between(ringMin, ringMax), tryAnswer);
  }

  async #answer(callId: string, team: Team, agentId: string): Promise<void> {
    this.#busyAgents.add(agentId);
    this.#emitEvent({ type: 'agent.state', agentId, team: team.id, state: 'on_call' });
    this.#emitEvent({ type: 'call.answered', callId, agentId });
    const agent = this.#org.agents.find((a) => a.id === agentId)!;
    const center = this.#org.centers.find((c) => c.id === team.centerId)!;
    const talkS = Math.min(
      1200,
      Math.max(
        20,
        this.#random.logNormal(
          team.specialty ? MEAN_TALK_S.specialty : MEAN_TALK_S.conventional,
          0.6,
        ),
      ),
    );
    const holds: [number, number][] = [];
    if (this.#random.chance(0.25)) {
      const count = this.#random.chance(0.3) ? 2 : 1;
      for (let i = 0; i < count; i++) {
        holds.push([
          talkS * ((i + 1) / (count + 1)) + this.#random.between(-10, 10),
          this.#random.between(20, 90),
        ]);
      }
    }
    let held = 0;
    for (const [start, seconds] of holds) {
      const at = (start + held) * 1000;
      this.#after(at, () => this.#emitEvent({ type: 'call.held', callId }));
      this.#after(at + seconds * 1000, () => this.#emitEvent({ type: 'call.resumed', callId }));
      held += seconds;
    }
    const totalMs = (talkS + held) * 1000;
    if (this.#random.chance(0.08)) {
      const others = this.#org.teams.filter(
        (t) => t.centerId === team.centerId && t.id !== team.id,
      );
      if (others.length) {
        const toTeam = this.#random.pick(others).id;
        this.#after(totalMs * this.#random.between(0.5, 0.9), () =>
          this.#emitEvent({ type: 'call.transferred', callId, toTeam }),
        );
      }
    }
    const digits = String(this.#random.int(2000000, 9999999));
    let earshotId: string | undefined;
    try {
      const created = await this.#request<CreateCallResponse>('POST', '/api/v1/calls', {
        externalId: callId,
        center: center.id,
        region: center.regionId,
        team: team.id,
        agent: { id: agent.id, name: agent.name },
        customer: { number: `+1612${digits}` },
        codec: 'PCMU',
      });
      earshotId = created.callId;
      this.#media.set(callId, {
        earshotId,
        conversation: new Conversation(this.#voices, this.#random, talkS, holds),
        startedAt: Date.now(),
        framesSent: 0,
        ssrc: { agent: this.#random.int(1, 0xfffffff0), customer: this.#random.int(1, 0xfffffff0) },
        seq: { agent: this.#random.int(0, 65535), customer: this.#random.int(0, 65535) },
        ports: created.legs,
      });
    } catch (error) {
      if (!this.#stopped)
        this.#o.logger.warn({ err: error, callId }, 'simulator could not start a call');
    }
    this.#after(totalMs, () => {
      this.#media.delete(callId);
      const disposition = this.#random.pick([
        'resolved',
        'resolved',
        'resolved',
        'follow-up',
        'escalated',
      ]);
      this.#emitEvent({ type: 'call.ended', callId, disposition, reason: 'agent-hangup' });
      if (earshotId) {
        this.#request('DELETE', `/api/v1/calls/${earshotId}`).catch((error: unknown) =>
          this.#o.logger.debug({ err: error, callId }, 'call already ended'),
        );
      }
      this.#emitEvent({ type: 'agent.state', agentId, team: team.id, state: 'wrap_up' });
      this.#after(this.#random.between(15_000, 60_000), () => {
        this.#emitEvent({ type: 'call.wrapup_ended', callId });
        this.#emitEvent({ type: 'agent.state', agentId, team: team.id, state: 'available' });
        this.#busyAgents.delete(agentId);
      });
    });
  }

  /** Feeds the events to the server's KPI intake, as an ACD would, once a second. */
  async #postEvents(): Promise<void> {
    if (this.#outbox.length === 0) return;
    const events = this.#outbox.splice(0, 5000);
    try {
      await this.#request('POST', '/api/v1/events', { events });
    } catch (error) {
      // Kept for the next try, within a bound: an unreachable server must not grow memory.
      this.#outbox = [...events, ...this.#outbox].slice(-20_000);
      if (!this.#stopped)
        this.#o.logger.warn({ err: error }, 'simulator could not post its events');
    }
  }

  #sendDueFrames(): void {
    const now = Date.now();
    for (const session of this.#media.values()) {
      const due = Math.floor((now - session.startedAt) / FRAME_MS);
      // After a stall, catch up at most 5 frames at once rather than bursting.
      if (due - session.framesSent > 5) session.framesSent = due - 5;
      while (session.framesSent < due) {
        const n = session.framesSent++;
        for (const leg of ['agent', 'customer'] as const) {
          const pcm = session.conversation.frame(leg, n);
          const payload = new Uint8Array(pcm.length);
          for (let i = 0; i < pcm.length; i++) payload[i] = ULAW[pcm[i]! + 32768]!;
          const packet = buildRtp(
            {
              payloadType: 0,
              sequenceNumber: session.seq[leg]++ & 0xffff,
              timestamp: n * 160,
              ssrc: session.ssrc[leg],
              marker: n === 0,
            },
            payload,
          );
          this.#socket.send(packet, session.ports[leg].port, session.ports[leg].ip);
        }
      }
    }
  }

  /** Stops arrivals and media; calls left are ended by the server. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (this.#pump) clearInterval(this.#pump);
    if (this.#feed) clearInterval(this.#feed);
    this.#media.clear();
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
