import type { RemoteInfo, Socket } from 'node:dgram';
import { parseRtp, type Codec, type Endpoint, type LegName } from '@earshot/shared';
import type { Logger } from '../log/logger.ts';
import { CLOCK_RATE } from '../media/codecs.ts';
import { LevelMeter } from './LevelMeter.ts';
import type { PortAllocator } from './PortAllocator.ts';
import type { LegRecorder } from '../recordings/LegRecorder.ts';

/** Why a datagram on a leg port was dropped. */
export type DropReason = 'not-rtp' | 'rtcp' | 'payload-type' | 'other-source' | 'undecodable';

export interface LegCounters {
  packets: number;
  bytes: number;
  dropped: number;
  droppedBy: Record<DropReason, number>;
  lost: number;
  lastPacketAt: number | null;
}

// NOTE: a source silent this long may be replaced by another (an SBC failing over).
const RELATCH_AFTER_MS = 2000;

/**
 * The RTP front of one call leg: the port an SBC forks the leg to. Every datagram is
 * checked here (RTP version, payload type, one source), counted and metered, then handed
 * with a stable SSRC and continuous numbering to the leg's mediasoup PlainTransport.
 * The port outlives the mediasoup side, so a call moves to another worker unnoticed.
 */
export class LegIngest {
  readonly leg: LegName;
  readonly endpoint: Endpoint;
  /** The SSRC the mediasoup producer expects; incoming SSRCs are rewritten to it. */
  readonly ssrc: number;
  readonly #socket: Socket;
  readonly #payloadType: number;
  readonly #clockRate: number;
  readonly #meter: LevelMeter;
  readonly #log: Logger;
  readonly #counters: LegCounters = {
    packets: 0,
    bytes: 0,
    dropped: 0,
    droppedBy: { 'not-rtp': 0, rtcp: 0, 'payload-type': 0, 'other-source': 0, undecodable: 0 },
    lost: 0,
    lastPacketAt: null,
  };
  #target: { ip: string; port: number } | undefined;
  #source: string | undefined;
  #inSsrc: number | undefined;
  #seqOffset = 0;
  #tsOffset = 0;
  #lastOutSeq = 0;
  #lastOutTs = 0;
  #highestSeq = 0;
  #streamPackets = 0;
  #streamFirstSeq = 0;
  #streamCycles = 0;
  #closed = false;
  #onFirstPacket: (() => void) | undefined;
  #recorder: LegRecorder | undefined;

  private constructor(
    leg: LegName,
    socket: Socket,
    announcedIp: string,
    codec: Codec,
    payloadType: number,
    log: Logger,
  ) {
    this.leg = leg;
    this.#socket = socket;
    this.endpoint = { ip: announcedIp, port: socket.address().port };
    this.ssrc = (Math.random() * 0xffffffff) >>> 0 || 1;
    this.#payloadType = payloadType;
    this.#clockRate = CLOCK_RATE[codec];
    this.#meter = new LevelMeter(codec);
    this.#log = log.child({ leg, port: this.endpoint.port });
    socket.on('message', (msg, rinfo) => this.#onDatagram(msg, rinfo));
    socket.on('error', (error) => this.#log.warn({ err: error }, 'leg socket error'));
  }

  /** Opens a leg port from `ports`; `announcedIp` is the address given to the SBC. */
  static async open(options: {
    leg: LegName;
    ports: PortAllocator;
    announcedIp: string;
    codec: Codec;
    payloadType: number;
    logger: Logger;
  }): Promise<LegIngest> {
    const socket = await options.ports.bind();
    return new LegIngest(
      options.leg,
      socket,
      options.announcedIp,
      options.codec,
      options.payloadType,
      options.logger,
    );
  }

  /** Where accepted packets go (the mediasoup PlainTransport), or nowhere while re-tapping. */
  setTarget(target: { ip: string; port: number } | undefined): void {
    this.#target = target;
  }

  /** Records every accepted packet from now on. */
  setRecorder(recorder: LegRecorder | undefined): void {
    this.#recorder = recorder;
  }

  /** Calls `fn` once, at the first accepted packet. */
  onFirstPacket(fn: () => void): void {
    this.#onFirstPacket = fn;
  }

  /** The loudness reading since the previous call (0..1). */
  takeLevel(): number {
    return this.#meter.take();
  }

  #drop(reason: DropReason): void {
    this.#counters.dropped += 1;
    this.#counters.droppedBy[reason] += 1;
  }

  #onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#closed) return;
    // mediasoup's own RTCP (receiver reports) comes back from the tap: not the SBC's traffic.
    const target = this.#target;
    if (target && rinfo.port === target.port && rinfo.address === target.ip) return;
    const header = parseRtp(msg);
    if (typeof header === 'string') {
      this.#drop(header === 'rtcp' ? 'rtcp' : 'not-rtp');
      return;
    }
    if (header.payloadType !== this.#payloadType) {
      this.#drop('payload-type');
      return;
    }
    const now = Date.now();
    const source = `${rinfo.address}:${rinfo.port}`;
    if (source !== this.#source) {
      const silent =
        this.#counters.lastPacketAt === null ||
        now - this.#counters.lastPacketAt > RELATCH_AFTER_MS;
      if (!silent) {
        this.#drop('other-source');
        return;
      }
      if (this.#source) this.#log.info({ from: this.#source, to: source }, 'leg source changed');
      this.#source = source;
    }
    const payload = msg.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength);
    const decoded = this.#meter.add(payload);
    if (decoded === false) {
      this.#drop('undecodable');
      return;
    }
    // The recorder copies what it keeps: the packet's header is rewritten below.
    if (decoded === true) this.#recorder?.addG711(header.ssrc, header.timestamp, now, payload);
    else this.#recorder?.addPcm48k(header.ssrc, header.timestamp, now, decoded);
    if (header.ssrc !== this.#inSsrc)
      this.#startStream(header.ssrc, header.sequenceNumber, header.timestamp, now);
    else this.#trackSequence(header.sequenceNumber);

    const first = this.#counters.packets === 0;
    this.#counters.packets += 1;
    this.#counters.bytes += msg.length;
    this.#counters.lastPacketAt = now;

    // Rewrite SSRC, sequence number and timestamp in place, then forward.
    const outSeq = (header.sequenceNumber + this.#seqOffset) & 0xffff;
    const outTs = (header.timestamp + this.#tsOffset) >>> 0;
    msg.writeUInt16BE(outSeq, 2);
    msg.writeUInt32BE(outTs, 4);
    msg.writeUInt32BE(this.ssrc, 8);
    this.#lastOutSeq = outSeq;
    this.#lastOutTs = outTs;
    if (target) this.#socket.send(msg, target.port, target.ip);
    if (first) this.#onFirstPacket?.();
  }

  /** A new incoming stream (first packet, or the SBC changed SSRC): keep the output continuous. */
  #startStream(ssrc: number, seq: number, timestamp: number, now: number): void {
    this.#finishStream();
    if (this.#inSsrc !== undefined) {
      const elapsed = this.#counters.lastPacketAt === null ? 0 : now - this.#counters.lastPacketAt;
      this.#seqOffset = (this.#lastOutSeq + 1 - seq) & 0xffff;
      this.#tsOffset =
        (this.#lastOutTs + Math.round((elapsed * this.#clockRate) / 1000) - timestamp) >>> 0;
      this.#log.info({ ssrc }, 'leg SSRC changed; output stream kept continuous');
    }
    this.#inSsrc = ssrc;
    this.#streamFirstSeq = seq;
    this.#highestSeq = seq;
    this.#streamCycles = 0;
    this.#streamPackets = 1;
  }

  #trackSequence(seq: number): void {
    this.#streamPackets += 1;
    const delta = (seq - this.#highestSeq) & 0xffff;
    if (delta > 0 && delta < 0x8000) {
      if (seq < this.#highestSeq) this.#streamCycles += 1;
      this.#highestSeq = seq;
    }
  }

  /** Packets of the current stream that never arrived (RFC 3550 A.3, duplicates aside). */
  #streamLost(): number {
    if (this.#inSsrc === undefined) return 0;
    const expected = this.#streamCycles * 0x10000 + this.#highestSeq - this.#streamFirstSeq + 1;
    return Math.max(0, expected - this.#streamPackets);
  }

  #finishStream(): void {
    this.#counters.lost += this.#streamLost();
    this.#streamPackets = 0;
  }

  /** When the latest packet was accepted (ms since the epoch), or null before any. */
  get lastPacketAt(): number | null {
    return this.#counters.lastPacketAt;
  }

  /** Counters with the current stream's losses included. */
  snapshot(): LegCounters {
    return {
      ...this.#counters,
      droppedBy: { ...this.#counters.droppedBy },
      lost: this.#counters.lost + this.#streamLost(),
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#meter.close();
    this.#socket.close();
  }
}
