import { z } from 'zod';
import { Id, Name } from './ids.ts';

export const Codec = z.enum(['PCMU', 'PCMA', 'opus']);
export type Codec = z.infer<typeof Codec>;

export const LegName = z.enum(['agent', 'customer']);
export type LegName = z.infer<typeof LegName>;
export const LEGS: readonly LegName[] = ['agent', 'customer'];

/** RTP payload types a call may use: static G.711 ones or the dynamic range. */
export const PayloadType = z
  .number()
  .int()
  .refine(
    (pt) => pt === 0 || pt === 8 || (pt >= 96 && pt <= 127),
    'must be 0 (PCMU), 8 (PCMA) or 96-127 (dynamic)',
  );

export const DEFAULT_PAYLOAD_TYPE: Record<Codec, number> = { PCMU: 0, PCMA: 8, opus: 111 };

/** Where a leg's RTP comes from: an address, and optionally its port. */
export const RtpSourceSpec = z.strictObject({
  ip: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }),
  port: z.number().int().min(1).max(65535).optional(),
});
export type RtpSourceSpec = z.infer<typeof RtpSourceSpec>;

const LegRequest = z.strictObject({
  /** Only RTP from this source is heard on the leg; others are dropped as other-source. */
  source: RtpSourceSpec.optional(),
});

/** `POST /api/v1/calls`: a telephony integration announces a call whose legs it will fork. */
export const CreateCallRequest = z
  .strictObject({
    externalId: z.string().min(1).max(128).optional(),
    center: Id,
    region: Id,
    team: Id,
    agent: z.strictObject({ id: Id, name: Name }),
    customer: z.strictObject({
      number: z
        .string()
        .regex(/^\+?[0-9][0-9 ()-]{1,30}$/, 'must be a phone number such as +16125550100')
        .optional(),
      name: Name.optional(),
    }),
    codec: Codec,
    payloadType: PayloadType.optional(),
    legs: z
      .strictObject({ agent: LegRequest.optional(), customer: LegRequest.optional() })
      .optional(),
  })
  .superRefine((body, ctx) => {
    const pt = body.payloadType;
    if (pt === undefined) return;
    const staticPt = body.codec === 'PCMU' ? 0 : body.codec === 'PCMA' ? 8 : undefined;
    if (staticPt !== undefined && pt !== staticPt && pt < 96) {
      ctx.addIssue({
        code: 'custom',
        path: ['payloadType'],
        message: `${body.codec} uses payload type ${staticPt} or a dynamic one (96-127)`,
      });
    }
    if (body.codec === 'opus' && pt < 96) {
      ctx.addIssue({
        code: 'custom',
        path: ['payloadType'],
        message: 'opus needs a dynamic payload type (96-127)',
      });
    }
  });
export type CreateCallRequest = z.infer<typeof CreateCallRequest>;

export const Endpoint = z.object({ ip: z.string(), port: z.number().int() });
export type Endpoint = z.infer<typeof Endpoint>;

export const CreateCallResponse = z.object({
  callId: z.string(),
  legs: z.object({ agent: Endpoint, customer: Endpoint }),
});
export type CreateCallResponse = z.infer<typeof CreateCallResponse>;

export const CallState = z.enum(['ringing', 'talking', 'held', 'transferred', 'ended']);
export type CallState = z.infer<typeof CallState>;

export const EndReason = z.enum([
  'hangup',
  'idle',
  'media-lost',
  'shutdown',
  'server-restart',
  /** The node that tapped it stopped beating (killed, cut off): its media is gone. */
  'node-lost',
]);
export type EndReason = z.infer<typeof EndReason>;

export const LegStats = z.object({
  ip: z.string(),
  port: z.number().int(),
  /** RTP packets accepted on this leg. */
  packets: z.number().int(),
  /** Bytes of accepted RTP packets (headers included). */
  bytes: z.number().int(),
  /** Datagrams dropped: not RTP, wrong payload type, a second source or stream. */
  dropped: z.number().int(),
  /** Packets the sequence numbers say never arrived. */
  lost: z.number().int(),
  /** Loudness of the decoded audio, 0 (silence, <= -60 dBFS) to 1 (full scale). */
  level: z.number().min(0).max(1),
  lastPacketAt: z.string().nullable(),
});
export type LegStats = z.infer<typeof LegStats>;

/** A party of the call as the recording client's metadata names it (SIPREC). */
export const Participant = z.object({
  /** The address of record (SIP URI, tel URI or number) the metadata gives. */
  aor: z.string(),
  name: z.string().nullable(),
  /** The leg this participant's audio is on, where the metadata says. */
  leg: LegName.nullable(),
});
export type Participant = z.infer<typeof Participant>;

export const Call = z.object({
  id: z.string(),
  externalId: z.string().nullable(),
  center: z.string(),
  region: z.string(),
  team: z.string(),
  agent: z.object({ id: z.string(), name: z.string() }),
  customer: z.object({ number: z.string().nullable(), name: z.string().nullable() }),
  codec: Codec,
  payloadType: z.number().int(),
  state: CallState,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  endReason: EndReason.nullable(),
  legs: z.object({ agent: LegStats, customer: LegStats }),
  /** People listening to the call now. */
  listeners: z.number().int().min(0),
  /** What the audio shows (server levels sampled 4 times a second). */
  audio: z.object({
    agentTalkMs: z.number(),
    customerTalkMs: z.number(),
    overtalkMs: z.number(),
    silenceMs: z.number(),
    durationMs: z.number(),
    longestDeadAirMs: z.number(),
    talkRatio: z.number().nullable(),
    silenceShare: z.number().nullable(),
  }),
  /** Where the ACD's data and the audio disagree now. */
  flags: z.array(z.enum(['held-but-talking', 'dead-air'])),
  /** How many discrepancy episodes the call had so far (a flickering one counts once). */
  discrepancies: z.number().int().min(0),
  /** The discrepancy episodes, in call time (ms from the start of its audio; the first 100). */
  episodes: z.array(
    z.object({
      kind: z.enum(['held-but-talking', 'dead-air']),
      fromMs: z.number(),
      /** Null while it lasts. */
      toMs: z.number().nullable(),
    }),
  ),
  /** What the ACD said of the call so far (matched by externalId). */
  acd: z.object({
    queue: z.string().nullable(),
    holds: z.number().int(),
    disposition: z.string().nullable(),
  }),
  /** The parties the telephony named (SIPREC metadata); empty for plain-RTP calls. */
  participants: z.array(Participant),
  /**
   * No agent of the organisation matched the participants: region, center, team and agent
   * are empty until an admin assigns the call (`POST /api/v1/calls/:id/assign`).
   */
  unmatched: z.boolean(),
});
export type Call = z.infer<typeof Call>;

/** `POST /api/v1/calls/:id/assign`: an admin names the agent of an unmatched call. */
export const AssignCallRequest = z.strictObject({ agentId: Id });
export type AssignCallRequest = z.infer<typeof AssignCallRequest>;

const Millis = z.coerce
  .number({ error: 'must be a number of milliseconds' })
  .int('must be a whole number of milliseconds')
  .min(0, 'must not be negative');

/** `GET /api/v1/calls/:id/recording?from=&to=&download=`: the whole recording or a segment. */
export const RecordingQuery = z
  .object({
    from: Millis.optional(),
    to: Millis.optional(),
    download: z.enum(['0', '1', 'false', 'true']).optional(),
  })
  .superRefine((q, ctx) => {
    if ((q.from === undefined) !== (q.to === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [q.from === undefined ? 'from' : 'to'],
        message: 'from and to go together',
      });
    } else if (q.from !== undefined && q.to !== undefined && q.from >= q.to) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    }
  });
export type RecordingQuery = z.infer<typeof RecordingQuery>;

/** A call's audio figures before any audio. */
export const EMPTY_CALL_AUDIO: Call['audio'] = {
  agentTalkMs: 0,
  customerTalkMs: 0,
  overtalkMs: 0,
  silenceMs: 0,
  durationMs: 0,
  longestDeadAirMs: 0,
  talkRatio: null,
  silenceShare: null,
};
