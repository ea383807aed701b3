// What the main thread and a media thread say to each other. A media thread owns leg
// sockets: every datagram is received, checked, metered, recorded and (while someone
// listens) forwarded there; the main thread only ever sees per-leg figures, four times a
// second, and a few events.
import type { Codec, LegName } from '@earshot/shared';
import type { LegStorage } from '../../recordings/LegRecorder.ts';
import type { LegCounters, LegIngestOptions, RtpSource } from '../LegIngest.ts';
import type { UdpBinder } from '../udp.ts';
import type { MediaPriorityChoice } from './MediaPriority.ts';

/** A leg's counters before its first datagram (in a media thread and as the main thread mirrors them). */
export const emptyCounters = (): LegCounters => ({
  packets: 0,
  bytes: 0,
  dropped: 0,
  droppedBy: { 'not-rtp': 0, rtcp: 0, 'payload-type': 0, 'other-source': 0, undecodable: 0 },
  lost: 0,
  lastPacketAt: null,
});

/** How a media thread is set up: the ingest port range it draws its legs' ports from. */
export interface ThreadConfig {
  index: number;
  ip: string;
  minPort: number;
  maxPort: number;
  quarantineMs: number;
  reader: UdpBinder['kind'];
  priority: MediaPriorityChoice;
  /**
   * The port the thread forwards its legs' packets to mediasoup from (0: any): a thread
   * that replaces a dead one takes the port the dead one had, which mediasoup learnt.
   */
  forwardPort: number;
}

/** One leg to open, as the call's signalling describes it (the thread adds its ports and log). */
export type LegSpec = Omit<LegIngestOptions, 'ports' | 'logger' | 'forward'>;

/** Requests answered with a `Reply` of the same id. */
export type Request =
  | { id: number; op: 'open'; callId: string; legs: LegSpec[] }
  | { id: number; op: 'close'; legIds: number[] }
  /** The counters of some legs now (their level readings are left for the next sample). */
  | { id: number; op: 'peek'; legIds: number[] }
  | {
      id: number;
      op: 'record';
      callId: string;
      codec: Codec;
      startedAt: number;
      files: Record<LegName, string>;
      legIds: Record<LegName, number>;
    }
  | { id: number; op: 'flush'; recId: number }
  | { id: number; op: 'stopRecording'; recId: number; deadline: number }
  | { id: number; op: 'sample' }
  | { id: number; op: 'quarantine'; ports: number[] };

/** Orders that need no answer; they apply in the order they were sent. */
export type Order =
  | { op: 'target'; legId: number; target: { ip: string; port: number } | null }
  | { op: 'forward'; legId: number; on: boolean }
  | { op: 'sources'; legId: number; sources: RtpSource[] }
  /** G.711 audio of a fed leg, from `position` samples of call time on. */
  | { op: 'feed'; legId: number; position: number; audio: Uint8Array };

export interface OpenedLeg {
  legId: number;
  port: number;
  ssrc: number;
}

/** A leg's figures in a sample: `LEG_FIELDS` numbers a leg, in this order. */
export const LEG_FIELDS = [
  'packets',
  'bytes',
  'dropped',
  'not-rtp',
  'rtcp',
  'payload-type',
  'other-source',
  'undecodable',
  'lost',
  /** ms since the epoch, or -1 before any packet. */
  'lastPacketAt',
  'level',
  /** 1 when the reading dipped (see LevelMeter), else 0. */
  'dipped',
] as const;

/** A recording's figures in a sample: `REC_FIELDS` numbers a recording, in this order. */
export const REC_FIELDS = [
  'pendingBytes',
  'droppedBytes',
  'writeErrors',
  /** ms since the epoch, or -1 while writes succeed. */
  'failingSince',
  /** Where the audio ends, in samples of call time. */
  'end',
] as const;

export interface Sample {
  legIds: number[];
  /** `LEG_FIELDS.length` numbers per leg of `legIds`. */
  legs: Float64Array;
  recIds: number[];
  /** `REC_FIELDS.length` numbers per recording of `recIds`. */
  recordings: Float64Array;
  /** The last error of each recording of `recIds` that is failing, else null. */
  recErrors: (string | null)[];
  strays: number;
  quarantined: number;
  /** The port the thread forwards from (see `ThreadConfig.forwardPort`). */
  forwardPort: number;
}

export interface StoppedRecording {
  settled: boolean;
  storage: LegStorage;
}

export type Reply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** What a media thread tells the main thread unasked. */
export type Event =
  | { event: 'first'; legId: number }
  | {
      event: 'log';
      level: 'debug' | 'info' | 'warn' | 'error';
      bindings: Record<string, unknown>;
      fields: Record<string, unknown>;
      msg: string;
    };
