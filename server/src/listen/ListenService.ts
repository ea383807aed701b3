import { EventEmitter } from 'node:events';
import type { ListenEndReason, ListenOffer, Presence } from '@earshot/shared';
import type { types as ms } from 'mediasoup';
import { z } from 'zod';
import type { CallService } from '../calls/CallService.ts';
import type { RemoteCalls } from '../calls/RemoteCalls.ts';
import type { Cluster } from '../cluster/Cluster.ts';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
} from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { KeyedQueue } from '../util/KeyedQueue.ts';
import type { TapSource } from '../media/PipedTap.ts';
import { Listener, type MayHear } from './Listener.ts';
import type { RemoteTaps } from './RemoteTaps.ts';
import { ListenSession, type WebRtcListenConfig } from './ListenSession.ts';

/** With several nodes: the other nodes' calls, their media, and who listens there. */
export interface ListenCluster {
  cluster: Cluster;
  remote: RemoteCalls;
  taps: RemoteTaps;
}

/** A live call as listening sees it, wherever it is tapped. */
interface Hearable {
  where: { team: string; center: string };
  closed(): boolean;
  tap(): Promise<TapSource | undefined>;
}

/** Who listens to a call on another node, as that node says. */
const RemotePresence = z.object({
  callId: z.string().max(64),
  listeners: z.array(z.object({ id: z.string().max(64), name: z.string().max(200) })).max(10_000),
});

/** How many calls one console may hear at once. */
export const MAX_CALLS_PER_LISTENER = 4;

/**
 * Who listens to which call, and the media sessions that let them: starting and stopping
 * listening, presence per call, and what happens to listeners when a call ends or moves.
 */
export class ListenService extends EventEmitter<{
  /** The people listening to a call changed. */
  presence: [callId: string, listeners: Presence[]];
  /** A listener's call ended or was lost. */
  ended: [listenerId: string, callId: string, reason: ListenEndReason];
  /** A listener's call moved to another worker: it must listen again. */
  restart: [listenerId: string, callId: string];
  /** Someone started listening to a call. */
  started: [who: { id: string; name: string }, callId: string];
  /** Someone stopped listening to a call (asked, left, or the call ended), after `ms`. */
  stopped: [who: { id: string; name: string }, callId: string, ms: number];
  /** Someone tried to listen to a call outside their scope, and was refused. */
  denied: [who: { id: string; name: string }, callId: string, team: string];
}> {
  readonly #calls: CallService;
  readonly #webRtc: WebRtcListenConfig;
  readonly #log: Logger;
  readonly #listeners = new Map<string, Listener>();
  readonly #queue = new KeyedQueue();
  readonly #cluster: ListenCluster | undefined;
  /** Who listens on the other nodes, per call and node. */
  readonly #elsewhere = new Map<string, Map<string, Presence[]>>();

  constructor(
    calls: CallService,
    webRtc: WebRtcListenConfig,
    log: Logger,
    cluster?: ListenCluster,
  ) {
    super();
    this.#calls = calls;
    this.#webRtc = webRtc;
    this.#log = log;
    this.#cluster = cluster;
    const ended = (call: { id: string; endReason: string | null }) => {
      const reason: ListenEndReason =
        call.endReason === 'media-lost' || call.endReason === 'node-lost'
          ? 'media-lost'
          : 'call-ended';
      this.#elsewhere.delete(call.id);
      for (const listener of this.#listeners.values()) {
        if (!listener.calls.has(call.id)) continue;
        this.#drop(listener, call.id);
        this.emit('ended', listener.id, call.id, reason);
      }
    };
    const retapped = (callId: string) => {
      for (const listener of this.#listeners.values()) {
        if (!listener.calls.has(callId)) continue;
        listener.calls.set(callId, undefined);
        this.emit('restart', listener.id, callId);
      }
    };
    calls.on('ended', ended);
    calls.on('retapped', retapped);
    if (!cluster) return;
    cluster.remote.on('ended', ended);
    cluster.taps.on('retapped', retapped);
    cluster.cluster.subscribe('listen:presence', RemotePresence, ({ callId, listeners }, from) => {
      const nodes = this.#elsewhere.get(callId) ?? new Map<string, Presence[]>();
      if (listeners.length) nodes.set(from, listeners);
      else nodes.delete(from);
      if (nodes.size) this.#elsewhere.set(callId, nodes);
      else this.#elsewhere.delete(callId);
      this.#told(callId);
    });
    cluster.cluster.on('lost', (node) => {
      for (const [callId, nodes] of this.#elsewhere)
        if (nodes.delete(node)) {
          if (nodes.size === 0) this.#elsewhere.delete(callId);
          this.#told(callId);
        }
    });
  }

  /** A live call of this node or, with several nodes, of another. */
  #find(callId: string): Hearable | undefined {
    const call = this.#calls.live(callId);
    if (call)
      return { where: call.where, closed: () => call.closed, tap: () => Promise.resolve(call.tap) };
    const cluster = this.#cluster;
    const remote = cluster?.remote.get(callId);
    if (!cluster || !remote) return undefined;
    return {
      where: { team: remote.call.team, center: remote.call.center },
      closed: () => cluster.remote.get(callId) === undefined,
      tap: () => cluster.taps.tap(callId, remote.node),
    };
  }

  /** A signed-in console connected: who it is and what it may hear. */
  attach(listenerId: string, who: { id: string; name: string }, mayHear: MayHear): Presence {
    const listener = new Listener(listenerId, who, mayHear);
    this.#listeners.set(listenerId, listener);
    return listener.presence();
  }

  /**
   * A console's rights changed: calls it may no longer hear are dropped at once (their
   * transports and consumers closed) and it is told why.
   */
  reauthorize(listenerId: string, mayHear: MayHear): void {
    const listener = this.#listeners.get(listenerId);
    if (!listener) return;
    listener.mayHear = mayHear;
    for (const callId of [...listener.calls.keys()]) {
      const call = this.#find(callId);
      if (call && mayHear(call.where)) continue;
      this.#drop(listener, callId);
      this.#log.info({ listenerId, user: listener.who.id, callId }, 'listening revoked');
      this.emit('ended', listenerId, callId, 'revoked');
    }
  }

  /** A call moved (a transfer, an assignment): who may no longer hear it stops hearing it. */
  recheck(callId: string): void {
    const call = this.#find(callId);
    if (!call) return;
    for (const listener of this.#listeners.values()) {
      if (!listener.calls.has(callId) || listener.mayHear(call.where)) continue;
      this.#drop(listener, callId);
      this.#log.info(
        { listenerId: listener.id, user: listener.who.id, callId },
        'the call moved out of reach',
      );
      this.emit('ended', listener.id, callId, 'revoked');
    }
  }

  /** Starts (or restarts) receiving a call: a transport and two paused consumers. */
  start(
    listenerId: string,
    callId: string,
    rtpCapabilities: ms.RtpCapabilities,
  ): Promise<ListenOffer> {
    // NOTE: one queue per console, so that the 4-call limit holds under concurrent starts.
    return this.#queue.run(listenerId, async () => {
      const listener = this.#listeners.get(listenerId);
      if (!listener) throw new UnauthorizedError('sign in first');
      const call = this.#find(callId);
      if (!call) throw new NotFoundError(`no live call with id "${callId}"`);
      // NOTE: checked here, in the listener's queue, right before any media object exists.
      if (!listener.mayHear(call.where)) {
        this.emit('denied', listener.who, callId, call.where.team);
        throw new ForbiddenError(`call of team "${call.where.team}" is not yours to hear`);
      }
      if (!listener.calls.has(callId) && listener.calls.size >= MAX_CALLS_PER_LISTENER) {
        throw new ConflictError(
          `you already listen to ${MAX_CALLS_PER_LISTENER} calls; stop one first`,
        );
      }
      const tap = await call.tap();
      if (!tap) throw new AppError('unavailable', 503, 'the call is being re-tapped; try again');
      listener.calls.get(callId)?.close();
      const session = await ListenSession.create({
        tap,
        rtpCapabilities,
        webRtc: this.#webRtc,
        listenerId,
      });
      if (
        call.closed() ||
        this.#listeners.get(listenerId) !== listener ||
        !listener.mayHear(call.where)
      ) {
        session.close();
        throw new NotFoundError(`call "${callId}" ended`);
      }
      const isNew = !listener.calls.has(callId);
      listener.calls.set(callId, session);
      session.once('closed', () => {
        if (listener.calls.get(callId) === session) listener.calls.set(callId, undefined);
      });
      if (isNew) {
        this.#announce(callId);
        this.#log.info({ listenerId, user: listener.who.id, callId }, 'listening started');
        listener.since.set(callId, Date.now());
        this.emit('started', listener.who, callId);
      }
      return session.offer();
    });
  }

  #session(listenerId: string, callId: string): ListenSession {
    const session = this.#listeners.get(listenerId)?.calls.get(callId);
    if (!session || session.closed)
      throw new NotFoundError(`you are not listening to call "${callId}"`);
    return session;
  }

  async connect(
    listenerId: string,
    callId: string,
    dtlsParameters: ms.DtlsParameters,
  ): Promise<void> {
    await this.#session(listenerId, callId).connect(dtlsParameters);
  }

  async resume(listenerId: string, callId: string): Promise<void> {
    await this.#session(listenerId, callId).resume();
  }

  /** Stops receiving a call; its transport and consumers are freed at once. */
  stop(listenerId: string, callId: string): void {
    const listener = this.#listeners.get(listenerId);
    if (!listener?.calls.has(callId))
      throw new NotFoundError(`you are not listening to call "${callId}"`);
    this.#drop(listener, callId);
    this.#log.info({ listenerId, user: listener.who.id, callId }, 'listening stopped');
  }

  #drop(listener: Listener, callId: string): void {
    listener.calls.get(callId)?.close();
    listener.calls.delete(callId);
    const since = listener.since.get(callId);
    listener.since.delete(callId);
    if (since !== undefined) this.emit('stopped', listener.who, callId, Date.now() - since);
    this.#announce(callId);
  }

  /** A console went away: everything it listened to is released. */
  disconnect(listenerId: string): void {
    const listener = this.#listeners.get(listenerId);
    if (!listener) return;
    this.#listeners.delete(listenerId);
    for (const callId of [...listener.calls.keys()]) this.#drop(listener, callId);
  }

  /** People listening to a call now, on this node and the others. */
  listenersOf(callId: string): Presence[] {
    const here = this.#here(callId);
    const elsewhere = this.#elsewhere.get(callId);
    return elsewhere ? [...here, ...[...elsewhere.values()].flat()] : here;
  }

  #here(callId: string): Presence[] {
    return [...this.#listeners.values()]
      .filter((l) => l.calls.has(callId))
      .map((l) => l.presence());
  }

  /** Listen sessions with media now (for metrics and leak checks). */
  get sessions(): number {
    let n = 0;
    for (const l of this.#listeners.values())
      for (const s of l.calls.values()) if (s && !s.closed) n++;
    return n;
  }

  /** People-call pairs: how many are listening, summed over calls. */
  get listening(): number {
    let n = 0;
    for (const l of this.#listeners.values()) n += l.calls.size;
    return n;
  }

  #announce(callId: string): void {
    this.#cluster?.cluster.publish('listen:presence', { callId, listeners: this.#here(callId) });
    this.#told(callId);
  }

  /** Who listens to a call changed here or elsewhere: its audience and its listeners hear. */
  #told(callId: string): void {
    const listeners = this.listenersOf(callId);
    this.#calls.setAudience(callId, listeners.length);
    this.emit('presence', callId, listeners);
  }

  close(): void {
    for (const id of [...this.#listeners.keys()]) this.disconnect(id);
  }
}
