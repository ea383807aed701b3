import { EventEmitter } from 'node:events';
import {
  LEGS,
  type Call,
  type CallState,
  type Codec,
  type EndReason,
  type LegName,
  type LegStats,
  type Participant,
} from '@earshot/shared';
import type { RemoteLeg } from '../ingest/MediaPlane.ts';
import type { Logger } from '../log/logger.ts';
import type { CallTap } from '../media/CallTap.ts';
import { ConversationMeter } from './ConversationMeter.ts';

/** Where a call belongs in the organisation: its agent, and the agent's team. */
export interface CallPlace {
  region: string;
  center: string;
  team: string;
  agent: { id: string; name: string };
}

/** What an ingest adapter knows of a call when it announces it. */
export interface CallInfo {
  externalId?: string;
  /** null: no agent of the organisation matched (the call is tapped all the same). */
  place: CallPlace | null;
  customer: { number?: string; name?: string };
  codec: Codec;
  participants?: Participant[];
}

const NOWHERE: CallPlace = { region: '', center: '', team: '', agent: { id: '', name: '' } };

/**
 * A call being tapped: its metadata, the two leg fronts that receive its RTP, and the
 * mediasoup tap they feed (replaced when a worker dies). Owns the legs and the tap.
 */
export class LiveCall extends EventEmitter<{ closed: [reason: EndReason] }> {
  readonly id: string;
  readonly externalId: string | undefined;
  readonly codec: Codec;
  readonly customer: { number: string | null; name: string | null };
  readonly payloadType: number;
  /** The agent and team; changes when a transfer or an admin says so. */
  place: CallPlace | null;
  participants: Participant[];
  readonly startedAt: Date;
  readonly legs: ReadonlyMap<LegName, RemoteLeg>;
  readonly log: Logger;
  state: CallState = 'ringing';
  endedAt: Date | undefined;
  endReason: EndReason | undefined;
  readonly levels: Record<LegName, number> = { agent: 0, customer: 0 };
  /** People listening now (kept by the listening service). */
  audience = 0;
  /** What the audio shows, against what the ACD says. */
  readonly conversation = new ConversationMeter();
  /** When the first packet of either leg arrived (ms since the epoch). */
  audioSince: number | undefined;
  /** The ACD says the call is on hold. */
  held = false;
  /** What the ACD said of the call so far. */
  readonly acd: { queue: string | null; holds: number; disposition: string | null } = {
    queue: null,
    holds: 0,
    disposition: null,
  };
  #tap: CallTap | undefined;
  #closed = false;
  #whenClosed: Promise<void> | undefined;

  constructor(options: {
    id: string;
    info: CallInfo;
    payloadType: number;
    legs: Map<LegName, RemoteLeg>;
    logger: Logger;
  }) {
    super();
    this.id = options.id;
    const { info } = options;
    this.externalId = info.externalId;
    this.codec = info.codec;
    this.customer = { number: info.customer.number ?? null, name: info.customer.name ?? null };
    this.place = info.place;
    this.participants = info.participants ?? [];
    this.payloadType = options.payloadType;
    this.startedAt = new Date();
    this.legs = options.legs;
    this.log = options.logger;
  }

  /** The call's team and center (empty while unmatched), for access checks. */
  get where(): { team: string; center: string } {
    return this.place ?? NOWHERE;
  }

  get tap(): CallTap | undefined {
    return this.#tap;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Points both legs at `tap` (or at nothing while a new tap is being made). A leg's packets
   * go on to the tap only while the leg has consumers there.
   */
  attach(tap: CallTap | undefined): void {
    this.#tap = tap;
    for (const leg of LEGS) {
      const ingest = this.legs.get(leg);
      ingest?.setTarget(tap?.target(leg));
      ingest?.setForwarding(tap ? tap.consumers(leg) > 0 : false);
    }
    tap?.on('consumers', (leg, count) => {
      if (this.#tap === tap) this.legs.get(leg)?.setForwarding(count > 0);
    });
  }

  /** When the telephony last said something of the call (ACD event, SIP re-INVITE). */
  lastEventAt = 0;
  /** When activity was last stored (what a crash would end the call at). */
  storedActivityAt = 0;

  /** When the stream carrying the call (a WebSocket) last said it is alive. */
  streamAliveAt = 0;

  /** Time of the latest accepted packet on either leg, of a live stream, or the start. */
  lastActivity(): number {
    let last = Math.max(this.startedAt.getTime(), this.streamAliveAt);
    for (const leg of this.legs.values()) last = Math.max(last, leg.lastPacketAt ?? 0);
    return last;
  }

  #legStats(leg: LegName): LegStats {
    const ingest = this.legs.get(leg);
    if (!ingest) throw new Error(`call ${this.id} has no ${leg} leg`);
    const c = ingest.snapshot();
    return {
      ip: ingest.endpoint.ip,
      port: ingest.endpoint.port,
      packets: c.packets,
      bytes: c.bytes,
      dropped: c.dropped,
      lost: c.lost,
      level: this.levels[leg],
      lastPacketAt: c.lastPacketAt === null ? null : new Date(c.lastPacketAt).toISOString(),
    };
  }

  /** The call as the API shows it. */
  toJSON(): Call {
    const p = this.place ?? NOWHERE;
    return {
      id: this.id,
      externalId: this.externalId ?? null,
      center: p.center,
      region: p.region,
      team: p.team,
      agent: { id: p.agent.id, name: p.agent.name },
      customer: { ...this.customer },
      codec: this.codec,
      payloadType: this.payloadType,
      state: this.state,
      startedAt: this.startedAt.toISOString(),
      endedAt: this.endedAt?.toISOString() ?? null,
      endReason: this.endReason ?? null,
      legs: { agent: this.#legStats('agent'), customer: this.#legStats('customer') },
      listeners: this.audience,
      audio: this.conversation.stats(),
      flags: [...this.conversation.flags],
      discrepancies: this.conversation.discrepancies,
      episodes: this.conversation.episodes.map((e) => ({ ...e })),
      acd: { ...this.acd },
      participants: this.participants.map((x) => ({ ...x })),
      unmatched: this.place === null,
    };
  }

  /**
   * Ends the call: closes the tap and both leg ports. Idempotent; emits 'closed' once, when
   * the legs' final counters are in (see `whenClosed`).
   */
  close(reason: EndReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.state = 'ended';
    this.endedAt = new Date();
    this.endReason = reason;
    this.conversation.end();
    this.levels.agent = 0;
    this.levels.customer = 0;
    this.#tap?.close();
    this.#whenClosed = Promise.all([...this.legs.values()].map((leg) => leg.close())).then(() => {
      this.emit('closed', reason);
    });
  }

  /** Resolves once the call is closed and its final counters are in. */
  get whenClosed(): Promise<void> {
    return this.#whenClosed ?? new Promise((resolve) => this.once('closed', () => resolve()));
  }
}
