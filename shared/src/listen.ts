import { z } from 'zod';
import type { LegName } from './calls.ts';

/** Someone listening to a call: shown only to others allowed to hear it. */
export interface Presence {
  /** The console session (one per browser tab). */
  id: string;
  /** The signed-in user's name. */
  name: string;
}

const CallIdField = z.string().uuid('must be a call id');

// mediasoup-client's RTP capabilities and DTLS parameters are checked for shape here and
// for meaning by mediasoup itself (canConsume, connect), which reject what they cannot use.
const RtpCapabilities = z.looseObject({
  codecs: z
    .array(
      z.looseObject({
        kind: z.enum(['audio', 'video']),
        mimeType: z.string().max(64),
        clockRate: z.number().int(),
      }),
    )
    .max(64),
  headerExtensions: z.array(z.looseObject({})).max(64).optional(),
});

export const ListenStartRequest = z.object({
  callId: CallIdField,
  rtpCapabilities: RtpCapabilities,
});
export type ListenStartRequest = z.infer<typeof ListenStartRequest>;

export const ListenConnectRequest = z.object({
  callId: CallIdField,
  dtlsParameters: z.looseObject({
    role: z.enum(['auto', 'client', 'server']).optional(),
    fingerprints: z
      .array(z.object({ algorithm: z.string().max(16), value: z.string().max(200) }))
      .min(1)
      .max(8),
  }),
});
export type ListenConnectRequest = z.infer<typeof ListenConnectRequest>;

export const ListenCallRequest = z.object({ callId: CallIdField });
export type ListenCallRequest = z.infer<typeof ListenCallRequest>;

/** What a console needs to receive one call: a receive transport and a consumer per leg. */
export interface ListenOffer {
  callId: string;
  transport: {
    id: string;
    iceParameters: unknown;
    iceCandidates: unknown[];
    dtlsParameters: unknown;
  };
  consumers: { leg: LegName; id: string; producerId: string; rtpParameters: unknown }[];
}

/** Why a console stopped receiving a call without asking. */
export type ListenEndReason = 'call-ended' | 'media-lost' | 'revoked';
