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
const Opened = z.object({
  callId: z.string(),
  legs: z.object({
    agent: z.object({ ip: z.string(), port: z.number() }),
    customer: z.object({ ip: z.string(), port: z.number() }),
  }),
});

/**
 * The calls an adapter of this node signals (SIPREC) wherever their media is tapped: a new
 * call opens on the least loaded node (asked over the cluster, the answer naming that
 * node's leg ports, which the SDP answer then carries), the dialog stays here, and what
 * the signalling says later (hold, a transfer, the BYE) goes to the node that taps it.
 * Alone, or for calls tapped here, it is the call service itself.
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
    cluster.handle('calls:open', SpecWire, (spec) => this.#calls.open(spec as CallSpec));
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
  async open(spec: CallSpec): Promise<CreateCallResponse> {
    const to = this.#place?.();
    if (!to || !this.#cluster) return this.#calls.open(spec);
    const opened = Opened.parse(await this.#cluster.request(to.id, 'calls:open', spec, 10_000));
    this.#placed.set(opened.callId, to.id);
    return opened;
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
