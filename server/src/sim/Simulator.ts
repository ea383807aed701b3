import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import {
  buildRtp,
  linearToUlaw,
  type CreateCallResponse,
  type Org,
  type ReportableMetric,
} from '@earshot/shared';
import type { Logger } from '../log/logger.ts';
import { Conversation } from './Conversation.ts';
import { Floor, Scheduler, type AnsweredCall, type SimEventBody } from './Floor.ts';
import { demoOrg } from './demoOrg.ts';
import { Random } from './random.ts';
import { renderVoices, type VoiceBank } from './voices.ts';

export type { SimEventBody } from './Floor.ts';
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
  /** Calls whose audio is tapped at most at once (the rest of the floor is events only). */
  concurrentCalls: number;
  /**
   * The floor is lived through this long before the start, in a moment, so that the
   * console opens on a floor in full swing with an hour of history (default 1 h).
   */
  warmUpMs?: number;
  /** Offered load at the day's peak against the staff's capacity (default 1.1). */
  peakLoad?: number;
  logger: Logger;
}

interface MediaSession {
  earshotId: string | undefined;
  conversation: Conversation;
  startedAt: number;
  framesSent: number;
  ssrc: Record<'agent' | 'customer', number>;
  seq: Record<'agent' | 'customer', number>;
  ports: Record<'agent' | 'customer', { ip: string; port: number }>;
}

const FRAME_MS = 20;
const ULAW = Uint8Array.from({ length: 65536 }, (_, i) => linearToUlaw(i - 32768));
/** How often the floor catches up with the wall clock. */
const STEP_MS = 100;
/** Staff report their figures for today this often (a "staff meeting" set). */
const REPORT_EVERY_MS = 30 * 60_000;
/** The metrics staff report, and how far the centers that dress them up push each one. */
const REPORTED: { metric: ReportableMetric; dressed: (v: number) => number }[] = [
  { metric: 'serviceLevel', dressed: (v) => Math.min(1, v + 0.12) },
  { metric: 'abandonRate', dressed: (v) => v * 0.5 },
  { metric: 'ahtMs', dressed: (v) => v * 0.82 },
  { metric: 'csat', dressed: (v) => Math.min(5, v + 0.4) },
];

/**
 * The built-in call simulator: a real client of the ingest API. It declares the demo
 * organisation, then lives through the whole floor's day (see `Floor`), sending every
 * ACD event to the KPI intake, tapping the audio of as many answered calls as it is told
 * (both legs as real RTP), and posting what each center's staff report for today, some
 * of them dressed up, as a staff meeting would.
 */
export class Simulator extends EventEmitter<{ event: [SimEvent] }> {
  readonly #o: SimulatorOptions;
  readonly #random: Random;
  readonly #org: Org;
  readonly #voices: VoiceBank;
  readonly #socket: Socket;
  readonly #scheduler: Scheduler;
  readonly #floor: Floor;
  /** Centers whose staff report better figures than the floor had. */
  readonly #dressedUp: Set<string>;
  /** Calls in progress (answered, not ended), for tapping those already under way. */
  readonly #active = new Map<string, { call: AnsweredCall; answeredAt: number }>();
  readonly #media = new Map<string, MediaSession>();
  readonly #recent: SimEvent[] = [];
  #step: NodeJS.Timeout | undefined;
  #pump: NodeJS.Timeout | undefined;
  #feed: NodeJS.Timeout | undefined;
  #outbox: SimEvent[] = [];
  /** Events of the warm-up not yet posted: the first staff report waits for them. */
  #warmUpLeft = 0;
  #posting = false;
  #sequence = 0;
  #live = false;
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
    this.#scheduler = new Scheduler(Date.now() - (options.warmUpMs ?? 3_600_000));
    this.#dressedUp = new Set(
      org.centers.filter((_, i) => i % 5 === options.seed % 5).map((c) => c.id),
    );
    this.#floor = new Floor({
      org,
      random,
      scheduler: this.#scheduler,
      emit: (event) => this.#emitEvent(event),
      nextCallId: () => `sim-call-${options.seed}-${++this.#sequence}`,
      onAnswered: (call) => {
        this.#active.set(call.callId, { call, answeredAt: this.#scheduler.now() });
        if (this.#live && this.#media.size < options.concurrentCalls) void this.#tap(call, 0);
      },
      onEnded: (callId) => {
        this.#active.delete(callId);
        this.#untap(callId);
      },
      ...(options.peakLoad === undefined ? {} : { peakLoad: options.peakLoad }),
    });
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
    // The floor's last hour, lived through at once: its events carry their own times.
    sim.#floor.start();
    sim.#scheduler.runUntil(Date.now());
    sim.#live = true;
    sim.#warmUpLeft = sim.#outbox.length;
    options.logger.info(
      {
        centers: org.centers.length,
        teams: org.teams.length,
        agents: org.agents.length,
        agentsByState: sim.#floor.agentsByState(),
        warmUpEvents: sim.#outbox.length,
        voices: voices.engine,
      },
      'simulator declared the demo organisation and its floor',
    );
    // Tap calls already under way (the tap joins them mid-call), then new ones as they come.
    for (const { call, answeredAt } of sim.#active.values()) {
      if (sim.#media.size >= options.concurrentCalls) break;
      void sim.#tap(call, Date.now() - answeredAt);
    }
    sim.#step = setInterval(() => sim.#scheduler.runUntil(Date.now()), STEP_MS);
    sim.#pump = setInterval(() => sim.#sendDueFrames(), FRAME_MS);
    sim.#feed = setInterval(() => void sim.#postEvents(), 1000);
    void sim.#postEvents();
    sim.#scheduleReports();
    return sim;
  }

  /** The latest events, oldest first (at most 1000). */
  recentEvents(): readonly SimEvent[] {
    return this.#recent;
  }

  get org(): Org {
    return this.#org;
  }

  /** The floor now: agents per state. */
  agentsByState() {
    return this.#floor.agentsByState();
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

  #emitEvent(event: SimEventBody): void {
    const full: SimEvent = {
      ...event,
      id: `sim-${this.#o.seed}-${++this.#sequence}`,
      at: new Date(this.#scheduler.now()).toISOString(),
    };
    this.#recent.push(full);
    this.#outbox.push(full);
    if (this.#recent.length > 1000) this.#recent.shift();
    this.emit('event', full);
  }

  /** Starts streaming a call's audio, `elapsedMs` into it (a tap joining a call under way). */
  async #tap(call: AnsweredCall, elapsedMs: number): Promise<void> {
    const session: MediaSession = {
      earshotId: undefined,
      conversation: new Conversation(
        this.#voices,
        this.#random,
        call.talkSeconds,
        call.holds,
        // What is heard follows what the call is about.
        call.outcome === 'escalated'
          ? 'escalation'
          : call.reason === 'device' || call.reason === 'network'
            ? 'troubleshooting'
            : 'billing',
      ),
      startedAt: Date.now() - elapsedMs,
      framesSent: Math.floor(elapsedMs / FRAME_MS),
      ssrc: { agent: this.#random.int(1, 0xfffffff0), customer: this.#random.int(1, 0xfffffff0) },
      seq: { agent: this.#random.int(0, 65535), customer: this.#random.int(0, 65535) },
      ports: {
        agent: { ip: '127.0.0.1', port: 0 },
        customer: { ip: '127.0.0.1', port: 0 },
      },
    };
    // Reserved before the request, so that the limit holds while requests are out.
    this.#media.set(call.callId, session);
    const digits = String(this.#random.int(2000000, 9999999));
    try {
      const created = await this.#request<CreateCallResponse>('POST', '/api/v1/calls', {
        externalId: call.callId,
        center: call.center.id,
        region: call.center.regionId,
        team: call.team.id,
        agent: call.agent,
        customer: { number: `+1612${digits}` },
        codec: 'PCMU',
      });
      session.earshotId = created.callId;
      session.ports = created.legs;
      // The call may have ended while it was being announced.
      if (!this.#media.has(call.callId)) this.#end(created.callId, call.callId);
    } catch (error) {
      this.#media.delete(call.callId);
      if (!this.#stopped)
        this.#o.logger.warn({ err: error, callId: call.callId }, 'simulator could not tap a call');
    }
  }

  #untap(callId: string): void {
    const session = this.#media.get(callId);
    if (!session) return;
    this.#media.delete(callId);
    if (session.earshotId) this.#end(session.earshotId, callId);
  }

  #end(earshotId: string, callId: string): void {
    this.#request('DELETE', `/api/v1/calls/${earshotId}`).catch((error: unknown) =>
      this.#o.logger.debug({ err: error, callId }, 'call already ended'),
    );
  }

  /** What each center's staff report for today, now and every half hour (one CSV import). */
  #scheduleReports(): void {
    const report = async () => {
      const lines = ['scope,metric,window,value,source'];
      for (const center of this.#org.centers) {
        const figures = this.#floor.reportedToday(center.id);
        const dressed = this.#dressedUp.has(center.id);
        for (const { metric, dressed: dress } of REPORTED) {
          const value = figures[metric];
          if (value === undefined) continue;
          lines.push(
            `center:${center.id},${metric},today,${dressed ? dress(value) : value},staff meeting`,
          );
        }
      }
      if (lines.length === 1) return;
      const response = await fetch(`${this.#o.baseUrl}/api/v1/kpis/reported/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#o.ingestToken}`, 'content-type': 'text/csv' },
        body: lines.join('\n'),
      });
      if (!response.ok && !this.#stopped)
        this.#o.logger.warn(
          { status: response.status, body: (await response.text()).slice(0, 300) },
          'simulator could not post reported figures',
        );
    };
    // NOTE: the first set waits for the warm-up's events to be in, so it is compared with them.
    // (Not for an empty outbox: the floor's events keep coming, and a check that happened to
    // fall between a post and the next step could wait for ever.)
    const run = () => {
      if (this.#stopped) return;
      const waiting = this.#warmUpLeft > 0;
      void (waiting ? Promise.resolve() : report())
        .catch((error: unknown) => {
          if (!this.#stopped)
            this.#o.logger.warn({ err: error }, 'simulator could not post reported figures');
        })
        .finally(() => this.#scheduler.after(waiting ? 1_000 : REPORT_EVERY_MS, run));
    };
    this.#scheduler.after(1_000, run);
  }

  /** Feeds the events to the server's KPI intake, as an ACD would: batches, in order. */
  async #postEvents(): Promise<void> {
    if (this.#posting) return;
    this.#posting = true;
    try {
      while (this.#outbox.length && !this.#stopped) {
        const events = this.#outbox.splice(0, 5000);
        try {
          await this.#request('POST', '/api/v1/events', { events });
          this.#warmUpLeft = Math.max(0, this.#warmUpLeft - events.length);
        } catch (error) {
          // Kept for the next try, within a bound: an unreachable server must not grow memory.
          this.#outbox = [...events, ...this.#outbox].slice(-200_000);
          this.#warmUpLeft = Math.min(this.#warmUpLeft, this.#outbox.length);
          if (!this.#stopped)
            this.#o.logger.warn({ err: error }, 'simulator could not post its events');
          return;
        }
      }
    } finally {
      this.#posting = false;
    }
  }

  #sendDueFrames(): void {
    const now = Date.now();
    for (const session of this.#media.values()) {
      if (!session.earshotId) continue;
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

  /** Stops the floor and its media; calls left are ended by the server. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#scheduler.clear();
    for (const timer of [this.#step, this.#pump, this.#feed]) if (timer) clearInterval(timer);
    this.#media.clear();
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
