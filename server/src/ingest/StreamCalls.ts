import type { LegName } from '@earshot/shared';
import type { CallSpec } from '../calls/CallService.ts';
import type { PlacedCalls } from '../calls/PlacedCalls.ts';
import type { Logger } from '../log/logger.ts';
import { KeyedQueue } from '../util/KeyedQueue.ts';

/** Samples of call time a second (fed audio is G.711 at 8 kHz). */
export const CALL_CLOCK_RATE = 8000;

interface Entry {
  callId: string;
  startedAt: number;
  /** The stream attached now; a later attach (a reconnect) takes the call over. */
  holder: symbol | null;
  onEnded: (() => void) | null;
  grace: NodeJS.Timeout | undefined;
}

/**
 * With several nodes: which call each conversation key has (a stream may resume on
 * another node than the one it dropped from), and word that a key was resumed elsewhere.
 */
export interface StreamDirectory {
  find(key: string): Promise<{ callId: string; startedAt: number } | undefined>;
  remember(key: string, callId: string, startedAt: number): void;
  forget(key: string): void;
  /** Tells the other nodes that this one holds `key`'s stream now. */
  resumed(key: string): void;
  onResumedElsewhere(listener: (key: string) => void): void;
}

/** A stream's hold on its call. */
export interface StreamAttachment {
  callId: string;
  /** Where the stream's position 0 lies on the call clock (samples): 0 for a new call. */
  origin: number;
  resumed: boolean;
  /** Audio of one leg at `position` samples of the stream (the origin is added here). */
  feed(leg: LegName, position: number, audio: Uint8Array): void;
  /** The stream still runs (audio or not): the call does not idle out. */
  alive(): void;
  /**
   * The stream ended: the call ends now for `reason`, or (null: it dropped, or will
   * reconnect) after the grace period unless a stream resumes it.
   */
  detach(reason: 'hangup' | 'media-lost' | null): void;
}

/**
 * Calls that arrive as WebSocket streams (AudioHook, Twilio), by the key that says which
 * conversation a stream belongs to. A stream that drops without a clean close leaves its
 * call live for a grace period: a stream for the same key within it resumes the same call
 * (its audio placed from the moment it came back); after it the call ends `media-lost`.
 */
export class StreamCalls {
  readonly #calls: PlacedCalls;
  readonly #directory: StreamDirectory | undefined;
  readonly #graceMs: number;
  readonly #log: Logger;
  readonly #byKey = new Map<string, Entry>();
  readonly #keyOf = new Map<string, string>();
  readonly #attaching = new KeyedQueue();

  constructor(options: {
    calls: PlacedCalls;
    graceMs: number;
    logger: Logger;
    directory?: StreamDirectory;
  }) {
    this.#calls = options.calls;
    this.#directory = options.directory;
    this.#graceMs = options.graceMs;
    this.#log = options.logger;
    this.#calls.on('ended', (call) => {
      const key = this.#keyOf.get(call.id);
      if (key === undefined) return;
      this.#keyOf.delete(call.id);
      const entry = this.#byKey.get(key);
      if (!entry) return;
      this.#letGo(key, entry);
      this.#directory?.forget(key);
      entry.onEnded?.();
    });
    // The stream came back on another node: what this one kept for it is let go (the call
    // goes on there), and a stream still attached here no longer feeds it.
    this.#directory?.onResumedElsewhere((key) => {
      const entry = this.#byKey.get(key);
      if (!entry) return;
      this.#letGo(key, entry);
      this.#log.info({ callId: entry.callId }, 'the stream resumed on another node');
    });
  }

  /** Forgets what this node kept for a key's call (its grace timer with it). */
  #letGo(key: string, entry: Entry): void {
    clearTimeout(entry.grace);
    this.#byKey.delete(key);
    this.#keyOf.delete(entry.callId);
  }

  /** Calls streamed in now (attached or within their grace period). */
  get size(): number {
    return this.#byKey.size;
  }

  /**
   * The call for `key`: the one a dropped stream left (resumed), else a new one from
   * `spec`. `onEnded` runs if Earshot ends the call while this stream holds it.
   */
  attach(
    key: string,
    spec: () => Promise<CallSpec>,
    onEnded: () => void,
  ): Promise<StreamAttachment> {
    // Two streams for one conversation at once (a reconnect racing its drop) share one call.
    return this.#attaching.run(key, () => this.#attach(key, spec, onEnded));
  }

  async #attach(
    key: string,
    spec: () => Promise<CallSpec>,
    onEnded: () => void,
  ): Promise<StreamAttachment> {
    const holder = Symbol(key);
    let entry = this.#byKey.get(key);
    let resumed = false;
    let origin = 0;
    if (!entry || !this.#calls.isLive(entry.callId)) {
      // Dropped from another node, perhaps: the directory knows where its call is.
      const elsewhere = await this.#directory?.find(key);
      if (elsewhere && this.#calls.adopt(elsewhere.callId)) {
        entry = { ...elsewhere, holder: null, onEnded: null, grace: undefined };
        this.#byKey.set(key, entry);
        this.#keyOf.set(elsewhere.callId, key);
        this.#directory?.resumed(key);
      } else entry = undefined;
    }
    if (entry) {
      clearTimeout(entry.grace);
      entry.grace = undefined;
      resumed = true;
      origin = Math.round(((Date.now() - entry.startedAt) * CALL_CLOCK_RATE) / 1000);
      this.#log.info({ callId: entry.callId }, 'a stream resumed its call');
    } else {
      const created = await this.#calls.open(await spec());
      entry = {
        callId: created.callId,
        startedAt: created.startedAt,
        holder: null,
        onEnded: null,
        grace: undefined,
      };
      this.#byKey.set(key, entry);
      this.#keyOf.set(created.callId, key);
      this.#directory?.remember(key, created.callId, created.startedAt);
    }
    entry.holder = holder;
    entry.onEnded = onEnded;
    const held = entry;
    const mine = () => held.holder === holder && this.#byKey.get(key) === held;
    return {
      callId: held.callId,
      origin,
      resumed,
      feed: (leg, position, audio) => {
        if (mine()) this.#calls.feed(held.callId, leg, origin + position, audio);
      },
      alive: () => {
        if (mine()) this.#calls.streamAlive(held.callId);
      },
      detach: (reason) => {
        if (!mine()) return;
        held.holder = null;
        held.onEnded = null;
        if (reason) {
          this.#calls.endWith(held.callId, reason);
          return;
        }
        this.#calls.streamAlive(held.callId);
        held.grace = setTimeout(() => {
          if (held.holder !== null) return;
          this.#log.warn({ callId: held.callId }, 'the stream did not come back; the call is lost');
          this.#calls.endWith(held.callId, 'media-lost');
        }, this.#graceMs);
        held.grace.unref();
      },
    };
  }

  /** Ends every streamed call's grace period (shutdown). */
  close(): void {
    for (const entry of this.#byKey.values()) clearTimeout(entry.grace);
  }
}
