import { EventEmitter } from 'node:events';
import {
  Call,
  Codec,
  EndReason,
  LegName,
  Participant,
  type CreateCallResponse,
} from '@earshot/shared';
import { z } from 'zod';
import type { Cluster, NodeInfo } from '../cluster/Cluster.ts';
import type { Logger } from '../log/logger.ts';
import type { CallChange, CallService, CallSpec } from './CallService.ts';
import type { CallPlace } from './LiveCall.ts';
import type { RemoteCalls } from './RemoteCalls.ts';

const Text = z.string().max(512);
const Place = z.object({
  region: Text,
  center: Text,
  team: Text,
  agent: z.object({ id: Text, name: Text }),
});
const Source = z.object({
  ip: z.string().max(64),
  port: z.number().int().min(1).max(65535).optional(),
});
const LegSpecWire = z.object({
  payloadType: z.number().int().min(0).max(127).optional(),
  eventPayloadType: z.number().int().min(0).max(127).optional(),
  sources: z.array(Source).max(16).optional(),
  fed: z.boolean().optional(),
});
/** A call as an adapter of another node announces it (SIPREC), checked where it lands. */
const SpecWire = z.object({
  externalId: Text.optional(),
  place: Place.nullable(),
  customer: z.object({ number: Text.optional(), name: Text.optional() }),
  codec: Codec,
  participants: z.array(Participant).max(64).optional(),
  payloadType: z.number().int().min(0).max(127),
  legs: z.partialRecord(LegName, LegSpecWire).optional(),
});
const ChangeWire = z.object({
  id: z.string().max(64),
  change: z.object({
    held: z.boolean().optional(),
    place: Place.nullable().optional(),
    participants: z.array(Participant).max(64).optional(),
    sources: z.partialRecord(LegName, z.array(Source).max(16)).optional(),
  }),
});
const EndWire = z.object({ id: z.string().max(64), reason: EndReason });
/** 20 ms to a few seconds of one leg's G.711, in base64. */
const FeedWire = z.object({
  id: z.string().max(64),
  leg: LegName,
  position: z.number().int().min(0),
  audio: z.base64().max(200_000),
});
const AliveWire = z.object({ id: z.string().max(64) });
const Opened = z.object({
  callId: z.string(),
  legs: z.object({
    agent: z.object({ ip: z.string(), port: z.number() }),
    customer: z.object({ ip: z.string(), port: z.number() }),
  }),
  startedAt: z.number(),
});

/** A call opened for an adapter: its leg ports and when its clock started (ms). */
export type PlacedCall = CreateCallResponse & { startedAt: number };

/**
 * The calls an adapter of this node signals (SIPREC) or streams (AudioHook, Twilio)
 * wherever their media is tapped: a new call opens on the least loaded node (asked over
 * the cluster, the answer naming that node's leg ports, which the SDP answer then carries),
 * the dialog or the WebSocket stays here, and what it says later (hold, a transfer, the
 * BYE, a stream's audio) goes to the node that taps it. Alone, or for calls tapped here,
 * it is the call service itself.
 */
export class PlacedCalls extends EventEmitter<{ ended: [call: Call] }> {
  readonly #calls: CallService;
  readonly #cluster: Cluster | undefined;
  readonly #remote: RemoteCalls | undefined;
  readonly #place: (() => NodeInfo | undefined) | undefined;
  /** Calls this node opened on another, and where. */
  readonly #placed = new Map<string, string>();

  constructor(options: {
    calls: CallService;
    cluster?: { cluster: Cluster; remote: RemoteCalls; place: () => NodeInfo | undefined };
    logger: Logger;
  }) {
    super();
    this.#calls = options.calls;
    this.#cluster = options.cluster?.cluster;
    this.#remote = options.cluster?.remote;
    this.#place = options.cluster?.place;
    this.#calls.on('ended', (call) => this.emit('ended', call));
    const cluster = this.#cluster;
    if (!cluster || !this.#remote) return;
    this.#remote.on('ended', (call) => {
      if (!this.#placed.delete(call.id)) return;
      this.emit('ended', call);
    });
    cluster.on('lost', (node) => {
      for (const [id, at] of this.#placed) if (at === node) this.#placed.delete(id);
    });
    cluster.handle('calls:open', SpecWire, (spec) => this.#openHere(spec as CallSpec));
    cluster.handle('calls:feed', FeedWire, async ({ id, leg, position, audio }) => {
      this.#calls.feed(id, leg, position, Buffer.from(audio, 'base64'));
      return null;
    });
    cluster.handle('calls:alive', AliveWire, async ({ id }) => {
      this.#calls.streamAlive(id);
      return null;
    });
    cluster.handle('calls:update', ChangeWire, ({ id, change }) =>
      this.#calls.update(id, change as CallChange),
    );
    cluster.handle('calls:end', EndWire, async ({ id, reason }) => {
      this.#calls.endWith(id, reason);
      return null;
    });
    options.logger.debug('placing signalled calls over the cluster');
  }

  placeOfAgent(agentId: string): Promise<CallPlace | undefined> {
    return this.#calls.placeOfAgent(agentId);
  }

  /** Opens a call here or on the least loaded node; the answer names its leg ports. */
  async open(spec: CallSpec): Promise<PlacedCall> {
    const to = this.#place?.();
    if (!to || !this.#cluster) return this.#openHere(spec);
    const opened = Opened.parse(await this.#cluster.request(to.id, 'calls:open', spec, 10_000));
    this.#placed.set(opened.callId, to.id);
    return opened;
  }

  async #openHere(spec: CallSpec): Promise<PlacedCall> {
    const created = await this.#calls.open(spec);
    const live = this.#calls.live(created.callId);
    return { ...created, startedAt: live?.startedAt.getTime() ?? Date.now() };
  }

  /**
   * Takes over the signalling of a live call another node's adapter opened (a stream
   * resumed here): later changes, audio and the end go to the node that taps it. False
   * when the call is not live anywhere.
   */
  adopt(id: string): boolean {
    if (this.isLive(id)) return true;
    const node = this.#calls.ownerOf(id);
    if (!node) return false;
    this.#placed.set(id, node);
    return true;
  }

  /** Whether a call this node signals is live (here, or on the node that taps it). */
  isLive(id: string): boolean {
    const live = this.#calls.live(id);
    if (live) return !live.closed;
    return this.#placed.has(id);
  }

  /** A streamed leg's audio, to the node that taps the call. */
  feed(id: string, leg: LegName, position: number, audio: Uint8Array): void {
    const node = this.#placed.get(id);
    if (!node || !this.#cluster) return this.#calls.feed(id, leg, position, audio);
    const base64 = Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength).toString('base64');
    this.#cluster.tell(node, 'calls:feed', { id, leg, position, audio: base64 });
  }

  /** The stream still runs: the call does not idle out where it is tapped. */
  streamAlive(id: string): void {
    const node = this.#placed.get(id);
    if (!node || !this.#cluster) return this.#calls.streamAlive(id);
    this.#cluster.tell(node, 'calls:alive', { id });
  }

  update(id: string, change: CallChange): Promise<Call> {
    const node = this.#placed.get(id);
    if (!node || !this.#cluster) return this.#calls.update(id, change);
    return this.#cluster.request(node, 'calls:update', { id, change }).then((c) => Call.parse(c));
  }

  endWith(id: string, reason: EndReason): void {
    const node = this.#placed.get(id);
    if (!node || !this.#cluster) return this.#calls.endWith(id, reason);
    this.#cluster.request(node, 'calls:end', { id, reason }).catch(() => undefined);
  }
}
