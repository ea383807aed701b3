import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { Codec, Endpoint, LegName } from '@earshot/shared';
import type { Logger } from '../log/logger.ts';
import type { LegStorage } from '../recordings/LegRecorder.ts';
import type { LiveRecording } from '../recordings/RecordingStore.ts';
import type { LevelReading } from './LevelMeter.ts';
import type { DropReason, LegCounters, RtpSource } from './LegIngest.ts';
import { resolveUdpReader, type UdpReaderChoice } from './udp.ts';
import type { MediaPriorityChoice } from './thread/MediaPriority.ts';
import {
  emptyCounters,
  LEG_FIELDS,
  REC_FIELDS,
  type Event,
  type LegSpec,
  type OpenedLeg,
  type Order,
  type Reply,
  type Request,
  type Sample,
  type StoppedRecording,
  type ThreadConfig,
} from './thread/protocol.ts';

const SILENT: LevelReading = { level: 0, dipped: false };
const DROP_REASONS: DropReason[] = [
  'not-rtp',
  'rtcp',
  'payload-type',
  'other-source',
  'undecodable',
];
const FIELD = Object.fromEntries(LEG_FIELDS.map((name, i) => [name, i])) as Record<
  (typeof LEG_FIELDS)[number],
  number
>;
// NOTE: a thread that dies is replaced a second later, so that one that keeps dying cannot spin.
const RESTART_DELAY_MS = 1000;
/** How long the main thread waits for a media thread's answer (a sample: less). */
const ANSWER_TIMEOUT_MS = 10_000;
const SAMPLE_TIMEOUT_MS = 2_000;

type Ask = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** One media thread, seen from the main thread. */
class MediaThread {
  readonly index: number;
  readonly legs = new Map<number, RemoteLeg>();
  readonly recordings = new Map<number, RemoteRecording>();
  strays = 0;
  quarantined = 0;
  #worker: Worker;
  #config: ThreadConfig;
  readonly #log: Logger;
  readonly #forwardMoved: (callIds: string[]) => void;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #nextId = 1;
  #closing = false;
  #alive = true;
  #warnedAt = 0;

  constructor(config: ThreadConfig, log: Logger, forwardMoved: (callIds: string[]) => void) {
    this.index = config.index;
    this.#config = config;
    this.#log = log.child({ mediaThread: config.index });
    this.#forwardMoved = forwardMoved;
    this.#worker = this.#spawn();
  }

  #spawn(): Worker {
    const worker = new Worker(new URL('./thread/entry.ts', import.meta.url), {
      workerData: this.#config,
      name: `earshot-media-${this.index}`,
    });
    worker.on('message', (message: Event | Reply) => this.#onMessage(message));
    worker.on('error', (error) => this.#log.error({ err: error }, 'media thread failed'));
    worker.on('exit', (code) => this.#onExit(worker, code));
    return worker;
  }

  /**
   * Resolves once the thread runs (its first answer), with the port it forwards from, which
   * a replacement then binds again.
   */
  async ready(): Promise<number> {
    const { forwardPort } = await this.request<Sample>({ op: 'sample' });
    this.#config = { ...this.#config, forwardPort };
    return forwardPort;
  }

  /**
   * Asks the thread; rejects if no answer comes within `timeoutMs` (a thread stuck in a bug
   * must not hold up the ticks, the ends of calls or the shutdown).
   */
  request<T>(ask: Ask, timeoutMs = ANSWER_TIMEOUT_MS): Promise<T> {
    const id = this.#nextId++;
    if (!this.#alive)
      return Promise.reject(new Error(`media thread ${this.index} is being replaced`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        // NOTE: one error every 10 s while a thread stays stuck, not one per tick.
        if (Date.now() - this.#warnedAt > 10_000) {
          this.#warnedAt = Date.now();
          this.#log.error({ op: ask.op, timeoutMs }, 'a media thread does not answer');
        }
        reject(new Error(`media thread ${this.index} did not answer ${ask.op} in ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      const settle =
        <V>(fn: (v: V) => void) =>
        (v: V) => {
          clearTimeout(timer);
          fn(v);
        };
      this.#pending.set(id, {
        resolve: settle(resolve as (v: unknown) => void),
        reject: settle(reject),
      });
      this.#worker.postMessage({ ...ask, id });
    });
  }

  order(order: Order): void {
    this.#worker.postMessage(order);
  }

  #onMessage(message: Event | Reply): void {
    if ('id' in message) {
      const waiting = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (!waiting) return;
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(new Error(message.error));
      return;
    }
    if (message.event === 'first') this.legs.get(message.legId)?.firstPacket();
    else this.#log.child(message.bindings)[message.level](message.fields, message.msg);
  }

  #onExit(worker: Worker, code: number): void {
    if (worker !== this.#worker) return;
    this.#alive = false;
    for (const waiting of this.#pending.values())
      waiting.reject(new Error(`media thread ${this.index} is gone`));
    this.#pending.clear();
    if (this.#closing) return;
    const legs = [...this.legs.values()];
    const recordings = [...this.recordings.values()];
    this.#log.error(
      { code, legs: legs.length },
      'media thread exited; replacing it and opening its legs again on the same ports',
    );
    this.legs.clear();
    this.recordings.clear();
    setTimeout(() => {
      if (this.#closing) return;
      this.#worker = this.#spawn();
      this.#alive = true;
      void this.#reopen(legs, recordings);
    }, RESTART_DELAY_MS).unref();
  }

  /**
   * Opens a dead thread's legs in its replacement, each on the port and with the output
   * SSRC it had (the SBC and the tap's producer notice nothing but the gap), and resumes
   * their recordings in the same logs. A leg that cannot be opened again is lost.
   */
  async #reopen(legs: RemoteLeg[], recordings: RemoteRecording[]): Promise<void> {
    const before = this.#config.forwardPort;
    const forwardPort = await this.ready().catch(() => undefined);
    const ready = forwardPort !== undefined;
    await Promise.all(
      legs.map(async (leg) => {
        if (leg.closed) return;
        const opened = ready
          ? await this.request<OpenedLeg[]>({
              op: 'open',
              callId: leg.callId,
              legs: [{ ...leg.spec, again: { port: leg.endpoint.port, ssrc: leg.ssrc } }],
            }).catch((error: unknown) => {
              this.#log.error(
                { err: error, callId: leg.callId, leg: leg.leg },
                'a leg could not be opened again: the call has lost its media',
              );
              return undefined;
            })
          : undefined;
        const legId = opened?.[0]?.legId;
        if (legId === undefined) leg.lost();
        else if (leg.closed) void this.request({ op: 'close', legIds: [legId] }).catch(() => {});
        else leg.reopened(legId);
      }),
    );
    for (const recording of recordings) await recording.resume();
    if (ready && forwardPort !== before) {
      const callIds = [...new Set(legs.filter((l) => !l.closed).map((l) => l.callId))];
      this.#log.warn(
        { before, forwardPort, calls: callIds.length },
        "the replacement could not forward from the dead thread's port: its calls are tapped again",
      );
      if (callIds.length) this.#forwardMoved(callIds);
    }
  }

  /** Ends the thread abruptly, as a crash in it would (for tests). */
  kill(): Promise<number> {
    return this.#worker.terminate();
  }

  get load(): number {
    return this.legs.size;
  }

  /** The port the thread forwards from (0 until it first answered). */
  get forwardPort(): number {
    return this.#config.forwardPort;
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#worker.terminate();
  }
}

/**
 * One leg of a call, received in a media thread: what the main thread knows of it is what
 * the thread last reported (every tick) and the orders it sends.
 */
export class RemoteLeg {
  readonly callId: string;
  readonly leg: LegName;
  readonly endpoint: Endpoint;
  readonly ssrc: number;
  /** How the leg was opened (to open it again should its thread die). */
  readonly spec: LegSpec;
  readonly #thread: MediaThread;
  #legId: number;
  #counters: LegCounters = emptyCounters();
  /** What the leg counted in threads that died: the live thread's figures add to it. */
  #before: LegCounters = emptyCounters();
  #reading: LevelReading = SILENT;
  #forwarding = false;
  #target: { ip: string; port: number } | undefined;
  #sources: RtpSource[] = [];
  #seen = false;
  #onFirst: (() => void) | undefined;
  #onLost: (() => void) | undefined;
  #closed = false;

  constructor(thread: MediaThread, callId: string, spec: LegSpec, opened: OpenedLeg) {
    this.#thread = thread;
    this.#legId = opened.legId;
    this.callId = callId;
    this.spec = spec;
    this.leg = spec.leg;
    this.endpoint = { ip: spec.announcedIp, port: opened.port };
    this.ssrc = opened.ssrc;
    thread.legs.set(opened.legId, this);
  }

  /** The thread this leg lives in (a call's legs share one). */
  get thread(): MediaThread {
    return this.#thread;
  }

  get legId(): number {
    return this.#legId;
  }

  /** The leg's mediasoup PlainTransport, or nothing while re-tapping. */
  setTarget(target: { ip: string; port: number } | undefined): void {
    this.#target = target;
    if (!this.#closed)
      this.#thread.order({ op: 'target', legId: this.#legId, target: target ?? null });
  }

  /** Whether accepted packets go on to the tap (only while someone consumes the leg). */
  setForwarding(on: boolean): void {
    if (this.#closed || on === this.#forwarding) return;
    this.#forwarding = on;
    this.#thread.order({ op: 'forward', legId: this.#legId, on });
  }

  /** More addresses the signalling names for this leg (see LegIngest.allowSources). */
  allowSources(sources: readonly RtpSource[]): void {
    for (const s of sources)
      if (!this.#sources.some((k) => k.ip === s.ip && k.port === s.port)) this.#sources.push(s);
    if (!this.#closed)
      this.#thread.order({ op: 'sources', legId: this.#legId, sources: [...sources] });
  }

  /** Audio for a fed leg (G.711, 8 kHz) starting at `position` samples of call time. */
  feed(position: number, audio: Uint8Array): void {
    if (!this.#closed) this.#thread.order({ op: 'feed', legId: this.#legId, position, audio });
  }

  /** Calls `fn` once, at the first accepted packet (at once if it came already). */
  onFirstPacket(fn: () => void): void {
    this.#onFirst = fn;
    if (this.#seen) fn();
  }

  /** Calls `fn` if the leg's media thread dies. */
  onLost(fn: () => void): void {
    this.#onLost = fn;
  }

  firstPacket(): void {
    if (this.#seen) return;
    this.#seen = true;
    this.#onFirst?.();
  }

  lost(): void {
    this.#closed = true;
    this.#onLost?.();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The leg lives again in its thread's replacement, as `legId`: what it counted so far is
   * kept, and the thread is told where to forward, whether to, and whom else to hear.
   */
  reopened(legId: number): void {
    this.#legId = legId;
    this.#thread.legs.set(legId, this);
    this.#before = this.snapshot();
    if (this.#target) this.#thread.order({ op: 'target', legId, target: this.#target });
    if (this.#forwarding) this.#thread.order({ op: 'forward', legId, on: true });
    if (this.#sources.length)
      this.#thread.order({ op: 'sources', legId, sources: [...this.#sources] });
  }

  /** The loudness reading of the last sample (taken once). */
  takeLevel(): LevelReading {
    const reading = this.#reading;
    this.#reading = SILENT;
    return reading;
  }

  get lastPacketAt(): number | null {
    return this.#counters.lastPacketAt;
  }

  /** The counters as of the last sample (or of the close, once closed). */
  snapshot(): LegCounters {
    return { ...this.#counters, droppedBy: { ...this.#counters.droppedBy } };
  }

  /** Brings the counters up to date now (the level reading waits for the next sample). */
  async refresh(): Promise<void> {
    if (this.#closed) return;
    const figures = await this.#thread
      .request<Float64Array>({ op: 'peek', legIds: [this.#legId] })
      .catch(() => undefined);
    if (figures && !this.#closed) this.apply(figures, 0, false);
  }

  apply(figures: Float64Array, offset: number, withLevel = true): void {
    // NOTE: runs for every leg every tick: fields set in place, nothing allocated.
    const c = this.#counters;
    const b = this.#before;
    const f = (name: (typeof LEG_FIELDS)[number]) => figures[offset + FIELD[name]]!;
    c.packets = b.packets + f('packets');
    c.bytes = b.bytes + f('bytes');
    c.dropped = b.dropped + f('dropped');
    for (const reason of DROP_REASONS) c.droppedBy[reason] = b.droppedBy[reason] + f(reason);
    c.lost = b.lost + f('lost');
    const lastPacketAt = f('lastPacketAt');
    c.lastPacketAt = lastPacketAt < 0 ? b.lastPacketAt : lastPacketAt;
    if (withLevel) {
      const level = f('level');
      const dipped = f('dipped') === 1;
      this.#reading = level === 0 && !dipped ? SILENT : { level, dipped };
    }
  }

  /** Closes the port (into quarantine) and takes the final counters. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#thread.legs.delete(this.#legId);
    try {
      const figures = await this.#thread.request<Float64Array>({
        op: 'close',
        legIds: [this.#legId],
      });
      if (figures.length) this.apply(figures, 0);
    } catch {
      // the thread is gone: the last sample's counters are the final ones
    }
  }
}

/** What a recording is started with (kept to resume it should its thread die). */
interface RecordingSpec {
  callId: string;
  codec: Codec;
  startedAt: number;
  files: Record<LegName, string>;
  legs: Record<LegName, RemoteLeg>;
}

/** A call's recording, written by the media thread that receives its legs. */
class RemoteRecording implements LiveRecording {
  readonly #thread: MediaThread;
  readonly #spec: RecordingSpec;
  #recId: number;
  #storage: LegStorage = {
    pendingBytes: 0,
    droppedBytes: 0,
    writeErrors: 0,
    failingSince: null,
    lastError: null,
  };
  #end = 0;
  #gone = false;

  constructor(thread: MediaThread, spec: RecordingSpec, recId: number) {
    this.#thread = thread;
    this.#spec = spec;
    this.#recId = recId;
    thread.recordings.set(recId, this);
  }

  /** Asks the thread to record `spec`'s legs; resolves with the recording's id there. */
  static start(thread: MediaThread, spec: RecordingSpec): Promise<number> {
    return thread.request<number>({
      op: 'record',
      callId: spec.callId,
      codec: spec.codec,
      startedAt: spec.startedAt,
      files: spec.files,
      legIds: { agent: spec.legs.agent.legId, customer: spec.legs.customer.legId },
    });
  }

  /**
   * Records again in the replacement of a thread that died, appending to the same logs
   * (each record carries its place on the call clock: the gap stays silent). What the
   * dead thread had not written yet, half a second at most, is lost.
   */
  async resume(): Promise<void> {
    const { legs } = this.#spec;
    if (this.#gone || legs.agent.closed || legs.customer.closed) {
      this.#gone = true;
      return;
    }
    try {
      this.#recId = await RemoteRecording.start(this.#thread, this.#spec);
      this.#thread.recordings.set(this.#recId, this);
    } catch {
      this.#gone = true;
    }
  }

  get end(): number {
    return this.#end;
  }

  storage(): LegStorage {
    return { ...this.#storage };
  }

  apply(figures: Float64Array, offset: number, error: string | null): void {
    const failingSince = figures[offset + 3]!;
    this.#storage = {
      pendingBytes: figures[offset]!,
      droppedBytes: figures[offset + 1]!,
      writeErrors: figures[offset + 2]!,
      failingSince: failingSince < 0 ? null : failingSince,
      lastError: error ?? this.#storage.lastError,
    };
    this.#end = figures[offset + 4]!;
  }

  async flush(): Promise<void> {
    if (this.#gone) return;
    await this.#thread.request({ op: 'flush', recId: this.#recId }).catch(() => undefined);
  }

  async close(deadline = Date.now() + 1000): Promise<boolean> {
    if (this.#gone) return true;
    try {
      const stopped = await this.#thread.request<StoppedRecording>(
        { op: 'stopRecording', recId: this.#recId, deadline },
        Math.max(0, deadline - Date.now()) + ANSWER_TIMEOUT_MS,
      );
      this.#storage = stopped.storage;
      if (stopped.settled) {
        this.#gone = true;
        this.#thread.recordings.delete(this.#recId);
      }
      return stopped.settled;
    } catch {
      // NOTE: the thread died (or is stuck): what it had not written is lost, the logs hold
      // the rest.
      this.#gone = true;
      return true;
    }
  }
}

export interface MediaPlaneOptions {
  /** How many media threads (at least 1). */
  threads: number;
  ip: string;
  minPort: number;
  maxPort: number;
  quarantineMs: number;
  /** How the threads read their ports; `auto`: the native batch reader where it is built. */
  reader?: UdpReaderChoice;
  /** How the threads yield the core to the console (default `low`: nice 10). */
  priority?: MediaPriorityChoice;
  logger: Logger;
}

/**
 * The media threads: every leg's RTP is received, checked, counted, metered, recorded and
 * forwarded to mediasoup in one of them, never on the main thread. A call's two legs share
 * a thread, the least loaded; every thread draws its ports from the whole ingest range.
 * `sample()` brings every leg's counters and level reading over in one message per thread.
 */
export class MediaPlane extends EventEmitter<{
  /**
   * A dead thread's replacement forwards its calls' packets from another port than the one
   * their taps learnt: they must be tapped again.
   */
  'forward-moved': [callIds: string[]];
}> {
  #threads: MediaThread[] = [];

  static async start(options: MediaPlaneOptions): Promise<MediaPlane> {
    const count = Math.max(1, options.threads);
    const reader = resolveUdpReader(options.reader ?? 'auto');
    // NOTE: libuv's thread pool is made by the first thread that uses it, and its threads
    // take that thread's scheduling: made by a media thread, they would do the console's
    // file, DNS and crypto work at nice 10 under SCHED_IDLE. One call from here makes it now.
    await stat('/');
    options.logger.info({ reader, threads: count }, 'media threads starting');
    const plane = new MediaPlane();
    const threads = Array.from(
      { length: count },
      (_, index) =>
        new MediaThread(
          {
            index,
            ip: options.ip,
            minPort: options.minPort,
            maxPort: options.maxPort,
            quarantineMs: options.quarantineMs,
            reader,
            priority: options.priority ?? 'low',
            forwardPort: 0,
          },
          options.logger,
          (callIds) => plane.emit('forward-moved', callIds),
        ),
    );
    plane.#threads = threads;
    try {
      await Promise.all(threads.map((t) => t.ready()));
    } catch (error) {
      await plane.close();
      throw error;
    }
    return plane;
  }

  /** Opens a call's legs on the least loaded thread (another one if its ports are full). */
  async open(callId: string, specs: LegSpec[]): Promise<RemoteLeg[]> {
    const byLoad = [...this.#threads].sort((a, b) => a.load - b.load);
    let failure: unknown;
    for (const thread of byLoad) {
      try {
        const opened = await thread.request<OpenedLeg[]>({ op: 'open', callId, legs: specs });
        return opened.map((o, i) => new RemoteLeg(thread, callId, specs[i]!, o));
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  }

  /** Records `legs` (of one call, so of one thread) into `files`. */
  async record(
    legs: ReadonlyMap<LegName, RemoteLeg>,
    callId: string,
    codec: Codec,
    startedAt: number,
    files: Record<LegName, string>,
  ): Promise<LiveRecording> {
    const spec: RecordingSpec = {
      callId,
      codec,
      startedAt,
      files,
      legs: { agent: legs.get('agent')!, customer: legs.get('customer')! },
    };
    const thread = spec.legs.agent.thread;
    return new RemoteRecording(thread, spec, await RemoteRecording.start(thread, spec));
  }

  /** Puts ports a previous run handed out into quarantine, spread over the threads. */
  async quarantine(ports: Iterable<number>): Promise<number> {
    const n = this.#threads.length;
    const all = [...ports];
    const held = await Promise.all(
      this.#threads.map((thread) =>
        thread.request<number>({
          op: 'quarantine',
          ports: all.filter((_, i) => i % n === thread.index),
        }),
      ),
    );
    await this.sample();
    return held.reduce((a, b) => a + b, 0);
  }

  /** Brings every leg's counters and level, and every recording's storage, up to date. */
  async sample(): Promise<void> {
    await Promise.all(
      this.#threads.map(async (thread) => {
        const s = await thread
          .request<Sample>({ op: 'sample' }, SAMPLE_TIMEOUT_MS)
          .catch(() => undefined);
        if (!s) return;
        s.legIds.forEach((id, i) => thread.legs.get(id)?.apply(s.legs, i * LEG_FIELDS.length));
        s.recIds.forEach((id, i) =>
          thread.recordings.get(id)?.apply(s.recordings, i * REC_FIELDS.length, s.recErrors[i]!),
        );
        thread.strays = s.strays;
        thread.quarantined = s.quarantined;
      }),
    );
  }

  /** Ends every media thread abruptly, as a crash in them would (for tests). */
  async kill(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.kill()));
  }

  /** The ports the threads forward their legs' packets to mediasoup from. */
  get forwardPorts(): number[] {
    return this.#threads.map((t) => t.forwardPort);
  }

  /** Datagrams that came to ports in quarantine, as of the last sample. */
  get strays(): number {
    return this.#threads.reduce((n, t) => n + t.strays, 0);
  }

  /** Ports in quarantine, as of the last sample. */
  get quarantined(): number {
    return this.#threads.reduce((n, t) => n + t.quarantined, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.close()));
  }
}
