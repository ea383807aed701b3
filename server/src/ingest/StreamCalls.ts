import type { LegName } from '@earshot/shared';
import type { CallService, CallSpec } from '../calls/CallService.ts';
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
  readonly #calls: CallService;
  readonly #graceMs: number;
  readonly #log: Logger;
  readonly #byKey = new Map<string, Entry>();
  readonly #keyOf = new Map<string, string>();
  readonly #attaching = new KeyedQueue();

  constructor(options: { calls: CallService; graceMs: number; logger: Logger }) {
    this.#calls = options.calls;
    this.#graceMs = options.graceMs;
    this.#log = options.logger;
    this.#calls.on('ended', (call) => {
      const key = this.#keyOf.get(call.id);
      if (key === undefined) return;
      this.#keyOf.delete(call.id);
      const entry = this.#byKey.get(key);
      if (!entry) return;
      this.#byKey.delete(key);
      clearTimeout(entry.grace);
      entry.onEnded?.();
    });
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
    const live = entry && this.#calls.live(entry.callId);
    if (entry && live && !live.closed) {
      clearTimeout(entry.grace);
      entry.grace = undefined;
      resumed = true;
      origin = Math.round(((Date.now() - entry.startedAt) * CALL_CLOCK_RATE) / 1000);
      this.#log.info({ callId: entry.callId }, 'a stream resumed its call');
    } else {
      const created = await this.#calls.open(await spec());
      const made = this.#calls.live(created.callId)!;
      entry = {
        callId: created.callId,
        startedAt: made.startedAt.getTime(),
        holder: null,
        onEnded: null,
        grace: undefined,
      };
      this.#byKey.set(key, entry);
      this.#keyOf.set(created.callId, key);
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
