import {
  buildRtp,
  parseRtp,
  type Codec,
  type Endpoint,
  type LegName,
  type RtpHeader,
} from '@earshot/shared';
import type { MediaLog } from '../log/logger.ts';
import { CLOCK_RATE } from '../media/codecs.ts';
import { LevelMeter, type LevelReading } from './LevelMeter.ts';
import type { PortAllocator } from './PortAllocator.ts';
import { udpTarget, type UdpPort, type UdpTarget } from './udp.ts';
import { emptyCounters } from './thread/protocol.ts';
import type { LegRecorder } from '../recordings/LegRecorder.ts';

/** An address a leg's RTP may come from; without a port, any port of that address. */
export interface RtpSource {
  ip: string;
  port?: number;
}

/** Why a datagram on a leg port was dropped. */
export type DropReason = 'not-rtp' | 'rtcp' | 'payload-type' | 'other-source' | 'undecodable';

export interface LegIngestOptions {
  leg: LegName;
  ports: PortAllocator;
  /** The address given to the SBC. */
  announcedIp: string;
  codec: Codec;
  /** The call's payload type, as mediasoup's producer expects it. */
  payloadType: number;
  /** The payload type this leg's sender uses, where it differs from the call's. */
  inPayloadType?: number;
  /** The telephone-event payload type agreed for this leg, if any. */
  eventPayloadType?: number;
  /** Where the signalling said the leg's RTP comes from; empty or absent: not named. */
  sources?: readonly RtpSource[];
  /**
   * The leg's audio is fed by its adapter (a WebSocket stream), not sent to its port:
   * every datagram reaching the port is refused, and fed audio is placed on the call clock
   * by its position alone.
   */
  fed?: boolean;
  /** Where a leg is opened again (its media thread died): the same port and output SSRC. */
  again?: { port: number; ssrc: number };
  /**
   * The port the leg's packets go on to the tap from (the media thread's one for all its
   * legs, so that a batch's are sent in one system call); none: the leg's own.
   */
  forward?: UdpPort;
  logger: MediaLog;
}

export interface LegCounters {
  packets: number;
  bytes: number;
  dropped: number;
  droppedBy: Record<DropReason, number>;
  lost: number;
  lastPacketAt: number | null;
}

/** Fed audio goes on as 20 ms packets (G.711 at 8 kHz), from one SSRC of its own. */
const FEED_SAMPLES = 160;
const FEED_SSRC = 0x45415253;

// NOTE: a source silent this long may be replaced by another (an SBC failing over).
const RELATCH_AFTER_MS = 2000;

const sameAddress = (a: string, b: string) => a === b || a === `::ffff:${b}` || b === `::ffff:${a}`;

/**
 * The RTP front of one call leg: the port an SBC forks the leg to. Every datagram is
 * checked here (RTP version, payload type, one source), counted and metered, then handed
 * with a stable SSRC and continuous numbering to the leg's mediasoup PlainTransport.
 * The port outlives the mediasoup side, so a call moves to another worker unnoticed.
 *
 * Sources: where the signalling named the sender, only those addresses are heard. Where it
 * did not, the first sender of the call's payload type latches the leg; another may take it
 * over only after 2 s of silence (an SBC failing over), and the leg's first stream (same
 * address, same SSRC) always takes it back when it resumes, so a stray can never lock the
 * real stream out.
 */
export class LegIngest {
  readonly leg: LegName;
  readonly endpoint: Endpoint;
  /** The SSRC the mediasoup producer expects; incoming SSRCs are rewritten to it. */
  readonly ssrc: number;
  readonly #socket: UdpPort;
  readonly #forward: UdpPort;
  readonly #ports: PortAllocator;
  /** The payload type the SBC sends (rewritten to the call's on the way to mediasoup). */
  readonly #payloadType: number;
  readonly #outPayloadType: number;
  /** telephone-event packets: legitimate, but neither audio nor recorded. */
  readonly #eventPayloadType: number | undefined;
  #named: readonly RtpSource[] | undefined;
  readonly #clockRate: number;
  readonly #meter: LevelMeter;
  readonly #log: MediaLog;
  readonly #counters: LegCounters = emptyCounters();
  #target: UdpTarget | undefined;
  #sendFailed = false;
  /** Whether accepted packets go on to the tap: only while someone consumes the leg. */
  #forwarding = false;
  #sourceAddress: string | undefined;
  #sourcePort = -1;
  /** The leg's first stream: it takes the leg back whenever it resumes. */
  #anchor: { address: string; port: number; ssrc: number } | undefined;
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
  /** Every datagram that reached the socket. */
  #datagrams = 0;
  #onFirstPacket: (() => void) | undefined;
  #recorder: LegRecorder | undefined;
  readonly #fed: boolean;
  #feedSeq = (Math.random() * 0x10000) >>> 0;

  private constructor(options: LegIngestOptions, socket: UdpPort) {
    const { leg, codec, payloadType } = options;
    this.leg = leg;
    this.#socket = socket;
    this.#forward = options.forward ?? socket;
    this.#ports = options.ports;
    this.endpoint = { ip: options.announcedIp, port: socket.port };
    this.ssrc = options.again?.ssrc ?? ((Math.random() * 0xffffffff) >>> 0 || 1);
    this.#payloadType = options.inPayloadType ?? payloadType;
    this.#outPayloadType = payloadType;
    this.#eventPayloadType = options.eventPayloadType;
    this.#named = options.sources?.length ? options.sources : undefined;
    this.#fed = options.fed === true;
    this.#clockRate = CLOCK_RATE[codec];
    this.#meter = new LevelMeter(codec);
    this.#log = options.logger.child({ leg, port: this.endpoint.port });
    socket.receive((msg, address, port, arrivedAt) =>
      this.#onDatagram(msg, address, port, arrivedAt),
    );
  }

  /** Opens a leg port from `ports`; `announcedIp` is the address given to the SBC. */
  static async open(options: LegIngestOptions): Promise<LegIngest> {
    return new LegIngest(options, await options.ports.bind(options.again?.port));
  }

  /** The leg's mediasoup PlainTransport, or nothing while re-tapping. */
  setTarget(target: { ip: string; port: number } | undefined): void {
    try {
      this.#target = target && udpTarget(target.ip, target.port);
    } catch (error) {
      // NOTE: leg ports are IPv4: a tap elsewhere cannot be fed from them (the leg stays
      // metered and recorded, unheard), and the media thread must not die of it.
      this.#target = undefined;
      this.#log.error({ err: error }, 'the tap is not an IPv4 address: the leg is not forwarded');
    }
  }

  /**
   * Whether accepted packets are sent on to the tap. Everything else (checks, counters,
   * levels, recording) happens either way; forwarding costs the most, and serves only
   * listeners, so it runs only while the leg has a consumer.
   */
  setForwarding(on: boolean): void {
    this.#forwarding = on;
  }

  /**
   * More addresses the signalling names for this leg (an SBC that moved its media in a
   * re-INVITE). An unnamed leg stays unnamed: naming it now could cut off its stream.
   */
  allowSources(sources: readonly RtpSource[]): void {
    if (!this.#named) return;
    const fresh = sources.filter(
      (s) => !this.#named!.some((n) => sameAddress(n.ip, s.ip) && n.port === s.port),
    );
    if (fresh.length) this.#named = [...this.#named, ...fresh];
  }

  /** Records every accepted packet from now on. */
  setRecorder(recorder: LegRecorder | undefined): void {
    this.#recorder = recorder;
  }

  /** Calls `fn` once, at the first accepted packet. */
  onFirstPacket(fn: () => void): void {
    this.#onFirstPacket = fn;
  }

  /** The loudness reading since the previous call. */
  takeLevel(): LevelReading {
    return this.#meter.take();
  }

  #drop(reason: DropReason): void {
    this.#counters.dropped += 1;
    this.#counters.droppedBy[reason] += 1;
  }

  #onDatagram(msg: Buffer, address: string, port: number, arrivedAt: number): void {
    if (this.#closed) return;
    this.#datagrams += 1;
    // mediasoup's own RTCP (receiver reports) comes back from the tap: not the SBC's traffic.
    const target = this.#target;
    if (target && port === target.port && address === target.ip) return;
    if (this.#fed) {
      this.#drop('other-source');
      return;
    }
    const header = parseRtp(msg);
    if (typeof header === 'string') {
      this.#drop(header === 'rtcp' ? 'rtcp' : 'not-rtp');
      return;
    }
    if (header.payloadType !== this.#payloadType) {
      if (header.payloadType !== this.#eventPayloadType) this.#drop('payload-type');
      return;
    }
    if (this.#named && !this.#named.some((s) => this.#matches(s, address, port))) {
      this.#drop('other-source');
      return;
    }
    // NOTE: when the datagram reached the host, not when this thread got to it: a burst
    // that waited out a stall is still placed (recording, jitter, silence) by its arrival.
    const now = arrivedAt;
    // NOTE: addresses and ports compared as they are: no string made per packet.
    if (port !== this.#sourcePort || address !== this.#sourceAddress) {
      const silent =
        this.#counters.lastPacketAt === null ||
        now - this.#counters.lastPacketAt > RELATCH_AFTER_MS;
      const anchor = this.#anchor;
      const anchorResumes =
        anchor?.port === port && anchor.address === address && anchor.ssrc === header.ssrc;
      if (!silent && !anchorResumes) {
        this.#drop('other-source');
        return;
      }
      if (this.#sourceAddress !== undefined)
        this.#log.info(
          {
            from: `${this.#sourceAddress}:${this.#sourcePort}`,
            to: `${address}:${port}`,
          },
          'leg source changed',
        );
      this.#sourceAddress = address;
      this.#sourcePort = port;
    }
    const anchor = this.#anchor;
    if (!anchor) this.#anchor = { address, port, ssrc: header.ssrc };
    else if (anchor.port === port && anchor.address === address) anchor.ssrc = header.ssrc;
    this.#accept(msg, header, now, target);
  }

  /**
   * Audio the leg's adapter received (G.711 at 8 kHz), starting at `position` samples of
   * call time: cut into 20 ms RTP packets that take the same path as a datagram would.
   */
  feed(position: number, audio: Uint8Array): void {
    if (this.#closed || !this.#fed) return;
    const now = Date.now();
    for (let at = 0; at < audio.length; at += FEED_SAMPLES) {
      const payload = audio.subarray(at, Math.min(audio.length, at + FEED_SAMPLES));
      const header: RtpHeader = {
        payloadType: this.#payloadType,
        marker: false,
        sequenceNumber: this.#feedSeq++ & 0xffff,
        timestamp: (position + at) >>> 0,
        ssrc: FEED_SSRC,
        payloadOffset: 12,
        payloadLength: payload.length,
      };
      // NOTE: the header is the one written here: the packet is not parsed back.
      const built = buildRtp(header, payload);
      const packet = Buffer.from(built.buffer, built.byteOffset, built.length);
      this.#accept(packet, header, now, this.#target);
    }
  }

  #accept(msg: Buffer, header: RtpHeader, now: number, target: UdpTarget | undefined): void {
    const payload = msg.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength);
    const decoded = this.#meter.add(payload);
    if (decoded === false) {
      this.#drop('undecodable');
      return;
    }
    // The recorder copies what it keeps: the packet's header is rewritten below.
    if (this.#fed) this.#recorder?.addG711At(header.timestamp, payload);
    else if (decoded === true) this.#recorder?.addG711(header.ssrc, header.timestamp, now, payload);
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
    const ssrc = this.ssrc;
    msg[2] = outSeq >>> 8;
    msg[3] = outSeq & 0xff;
    msg[4] = outTs >>> 24;
    msg[5] = (outTs >>> 16) & 0xff;
    msg[6] = (outTs >>> 8) & 0xff;
    msg[7] = outTs & 0xff;
    msg[8] = ssrc >>> 24;
    msg[9] = (ssrc >>> 16) & 0xff;
    msg[10] = (ssrc >>> 8) & 0xff;
    msg[11] = ssrc & 0xff;
    if (this.#payloadType !== this.#outPayloadType)
      msg[1] = (msg[1]! & 0x80) | this.#outPayloadType;
    this.#lastOutSeq = outSeq;
    this.#lastOutTs = outTs;
    if (target && this.#forwarding && !this.#forward.send(msg, target) && !this.#sendFailed) {
      this.#sendFailed = true;
      this.#log.warn({ target: `${target.ip}:${target.port}` }, 'leg packets not sent to the tap');
    }
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

  /** Datagrams that reached the leg's socket so far, whatever became of them. */
  get datagrams(): number {
    return this.#datagrams;
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

  #matches(source: RtpSource, address: string, port: number): boolean {
    return sameAddress(source.ip, address) && (source.port === undefined || source.port === port);
  }

  /** Closes the leg: its port goes into quarantine, its stream goes nowhere. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#meter.close();
    this.#ports.release(this.#socket);
  }
}
