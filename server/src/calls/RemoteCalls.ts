import { EventEmitter } from 'node:events';
import { Call } from '@earshot/shared';
import { z } from 'zod';
import type { Cluster } from '../cluster/Cluster.ts';
import { conversationOf, type Conversation } from '../kpi/kpiMath.ts';
import type { Logger } from '../log/logger.ts';
import type { CallService } from './CallService.ts';
import { EndedConversations } from './EndedConversations.ts';

const Levels = z.record(z.string().max(64), z.tuple([z.number(), z.number()]));
/** A node's changes of one tick: calls started or changed, calls ended, every live level. */
/** What changes with every packet (counters, audio figures): sent once a second. */
const Figures = z.record(
  z.string().max(64),
  z.object({ legs: Call.shape.legs, audio: Call.shape.audio }),
);
const Changes = z.object({
  upserts: z.array(Call),
  ended: z.array(Call),
  levels: Levels,
  figures: Figures.optional(),
});
/** Every this many ticks, the live calls' counters and audio figures go too. */
const FIGURES_EVERY = 4;
/** Everything a node holds, in answer to a sync (a node that started, or Redis back). */
const Full = z.object({ to: z.string().max(64).nullable(), calls: z.array(Call) });
const Sync = z.object({});

/**
 * The live calls the other nodes tap, as they tell them: each node publishes its calls'
 * changes once a tick (the board's cadence) and its whole list when asked, so every node
 * can show the whole floor, place a new call and reach the call's owner. A node that stops
 * beating takes its calls with it (`node-lost`).
 */
export class RemoteCalls extends EventEmitter<{
  upserted: [call: Call];
  ended: [call: Call];
  levels: [levels: Map<string, [number, number]>];
}> {
  readonly #cluster: Cluster;
  readonly #log: Logger;
  readonly #calls = new Map<string, { node: string; call: Call }>();
  readonly #byExternal = new Map<string, string>();
  readonly #ended = new EndedConversations();
  #upserts = new Map<string, Call>();
  #endedNow: Call[] = [];
  #ticks = 0;
  readonly #local: CallService;

  constructor(cluster: Cluster, local: CallService, log: Logger) {
    super();
    this.#cluster = cluster;
    this.#log = log;
    this.#local = local;
    const upsert = (call: Call) => this.#upserts.set(call.id, call);
    local.on('started', upsert);
    local.on('updated', upsert);
    local.on('ended', (call) => {
      this.#upserts.delete(call.id);
      this.#endedNow.push(call);
    });
    local.on('levels', (levels) => this.flush(levels));
    cluster.subscribe('calls', Changes, (changes, from) => this.#apply(from, changes));
    // Its whole list: to a node that asks, or to all (taken for lost, it stalled: the
    // others dropped its calls).
    const whole = (to: string | null) => cluster.publish('calls:full', { to, calls: local.list() });
    cluster.subscribe('calls:sync', Sync, (_body, from) => whole(from));
    cluster.subscribe('calls:full', Full, ({ to, calls }, from) => {
      if (to === null || to === cluster.nodeId) this.#replace(from, calls);
    });
    cluster.on('lost', (node) => this.#drop(node));
    cluster.on('resync', () => this.sync());
    cluster.on('rejoined', () => whole(null));
  }

  /** Tells the other nodes what changed here since the last tick. */
  flush(levels = new Map<string, [number, number]>()): void {
    if (levels.size === 0 && this.#upserts.size === 0 && this.#endedNow.length === 0) return;
    // NOTE: the figures that change all the time ride along once a second, so that another
    // node's view of a call (its REST answer, the audio KPIs) is at most a second old.
    const figures =
      ++this.#ticks % FIGURES_EVERY === 0
        ? Object.fromEntries(
            this.#local.list().map((c) => [c.id, { legs: c.legs, audio: c.audio }]),
          )
        : undefined;
    this.#cluster.publish('calls', {
      upserts: [...this.#upserts.values()],
      ended: this.#endedNow,
      levels: Object.fromEntries(levels),
      ...(figures ? { figures } : {}),
    });
    this.#upserts = new Map();
    this.#endedNow = [];
  }

  /** Asks every other node for its whole list (at start, and after Redis was away). */
  sync(): void {
    this.#cluster.publish('calls:sync', {});
  }

  #apply(node: string, { upserts, ended, levels, figures }: z.infer<typeof Changes>): void {
    for (const call of upserts) this.#set(node, call);
    for (const [id, f] of Object.entries(figures ?? {})) {
      const entry = this.#calls.get(id);
      if (entry?.node !== node) continue;
      entry.call.legs = f.legs;
      entry.call.audio = f.audio;
    }
    for (const call of ended) {
      if (!this.#delete(call.id)) continue;
      this.#ended.add(call);
      this.emit('ended', call);
    }
    const known = new Map<string, [number, number]>();
    for (const [id, pair] of Object.entries(levels)) {
      const entry = this.#calls.get(id);
      if (entry?.node !== node) continue;
      entry.call.legs.agent.level = pair[0];
      entry.call.legs.customer.level = pair[1];
      known.set(id, pair);
    }
    if (known.size) this.emit('levels', known);
  }

  #replace(node: string, calls: Call[]): void {
    const now = new Set(calls.map((c) => c.id));
    for (const [id, entry] of this.#calls)
      if (entry.node === node && !now.has(id)) {
        this.#delete(id);
        this.emit('ended', entry.call);
      }
    for (const call of calls) this.#set(node, call);
  }

  #set(node: string, call: Call): void {
    const before = this.#calls.get(call.id)?.call.externalId;
    if (before && before !== call.externalId) this.#byExternal.delete(before);
    if (call.externalId !== null) this.#byExternal.set(call.externalId, call.id);
    this.#calls.set(call.id, { node, call });
    this.emit('upserted', call);
  }

  #delete(id: string): boolean {
    const entry = this.#calls.get(id);
    if (!entry) return false;
    this.#calls.delete(id);
    const external = entry.call.externalId;
    if (external !== null && this.#byExternal.get(external) === id)
      this.#byExternal.delete(external);
    return true;
  }

  /** The id of another node's live call the ACD knows as `externalId`. */
  idOfExternal(externalId: string): string | undefined {
    return this.#byExternal.get(externalId);
  }

  #drop(node: string): void {
    let n = 0;
    for (const [id, entry] of this.#calls) {
      if (entry.node !== node) continue;
      this.#delete(id);
      const call: Call = {
        ...entry.call,
        state: 'ended',
        endReason: 'node-lost',
        endedAt: new Date().toISOString(),
      };
      this.#ended.add(call);
      this.emit('ended', call);
      n++;
    }
    if (n) this.#log.warn({ lostNode: node, calls: n }, 'a node was lost with its calls');
  }

  /** Live calls of the other nodes. */
  list(): Call[] {
    return [...this.#calls.values()].map((e) => e.call);
  }

  /** A live call of another node, and which. */
  get(id: string): { node: string; call: Call } | undefined {
    return this.#calls.get(id);
  }

  /** Live calls per node (those of this node are not here). */
  countByNode(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { node } of this.#calls.values()) counts.set(node, (counts.get(node) ?? 0) + 1);
    return counts;
  }

  /** The other nodes' calls, live and recently ended, for the audio KPIs. */
  conversations(): Conversation[] {
    return [...this.#ended.list(), ...this.list().map(conversationOf)];
  }
}
