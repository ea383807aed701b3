// AudioHook protocol v2 (Genesys Cloud): the messages a client sends, parsed, and the ones
// Earshot answers with. Pure: text in, a typed message or a typed error out.
import { z } from 'zod';
import { parseJsonMessage } from '../jsonMessage.ts';

/** The largest text message taken (the protocol's own limit). */
export const MAX_TEXT_BYTES = 64 * 1024;
/** The largest audio frame taken: 2 s of stereo L16 at 8 kHz. */
export const MAX_AUDIO_BYTES = 64 * 1024;
export const NULL_UUID = '00000000-0000-0000-0000-000000000000';

const Uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
/** ISO 8601 durations in seconds, as AudioHook writes them: `PT12.34S`. */
const Duration = z
  .string()
  .regex(/^PT\d{1,9}(\.\d{1,9})?S$/, 'a duration such as PT1.5S')
  .transform((d) => Number(d.slice(2, -1)));
const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const MediaFormat = z.object({
  type: z.string(),
  format: z.string(),
  channels: z.array(z.string()).max(8),
  rate: z.number(),
});
export type MediaFormat = z.infer<typeof MediaFormat>;

const base = {
  version: z.literal('2'),
  id: Uuid,
  seq: Seq,
  serverseq: Seq,
  position: Duration,
};
const str = (max: number) => z.string().max(max);

export const ClientMessage = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('open'),
    parameters: z.object({
      organizationId: Uuid,
      conversationId: Uuid,
      participant: z
        .object({
          id: str(64).optional(),
          ani: str(64).optional(),
          aniName: str(200).optional(),
          dnis: str(64).optional(),
        })
        .optional(),
      media: z.array(MediaFormat).max(16),
      language: str(32).optional(),
      customConfig: z.record(z.string(), z.unknown()).optional(),
      continuedSessions: z
        .array(z.object({ id: Uuid, serverseq: Seq, clientseq: Seq }))
        .max(16)
        .optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('close'),
    parameters: z.object({ reason: str(32).optional() }),
  }),
  z.object({
    ...base,
    type: z.literal('ping'),
    parameters: z.object({ rtt: Duration.optional() }),
  }),
  z.object({ ...base, type: z.literal('update'), parameters: z.object({}).loose() }),
  z.object({ ...base, type: z.literal('paused'), parameters: z.object({}).loose() }),
  z.object({
    ...base,
    type: z.literal('resumed'),
    parameters: z.object({ start: Duration, discarded: Duration }),
  }),
  z.object({
    ...base,
    type: z.literal('discarded'),
    parameters: z.object({ start: Duration, discarded: Duration }),
  }),
  z.object({
    ...base,
    type: z.literal('error'),
    parameters: z.object({ code: z.number().int(), message: str(2000) }).loose(),
  }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type OpenParameters = Extract<ClientMessage, { type: 'open' }>['parameters'];

export class ProtocolError extends Error {}

/** Parses one text message; throws ProtocolError saying what is wrong with it. */
export function parseClientMessage(text: string): ClientMessage {
  const parsed = parseJsonMessage(text, ClientMessage, {
    key: 'type',
    known: ClientMessage.options.map((o) => o.shape.type.value),
    maxBytes: MAX_TEXT_BYTES,
    unknown: 'not an AudioHook v2 client message',
  });
  if (!parsed.ok) throw new ProtocolError(parsed.error);
  return parsed.message;
}

/** A duration as AudioHook writes it. */
export const duration = (seconds: number) => `PT${Math.max(0, Math.round(seconds * 1000) / 1000)}S`;

export type MediaChoice = {
  format: 'PCMU' | 'L16';
  /** The offered channels in their order; external = customer, internal = agent. */
  channels: ('external' | 'internal')[];
  offer: MediaFormat;
};

/**
 * The offer Earshot takes: 8 kHz PCMU or L16 audio, stereo first (both parties), PCMU
 * before L16, the client's order otherwise; a mono offer of either channel is taken when
 * nothing better is offered.
 */
export function chooseMedia(offers: MediaFormat[]): MediaChoice | null {
  const usable = offers
    .map((offer, index) => ({ offer, index }))
    .filter(
      ({ offer }) =>
        offer.type === 'audio' &&
        (offer.format === 'PCMU' || offer.format === 'L16') &&
        offer.rate === 8000 &&
        offer.channels.length >= 1 &&
        offer.channels.length <= 2 &&
        new Set(offer.channels).size === offer.channels.length &&
        offer.channels.every((c) => c === 'external' || c === 'internal'),
    );
  usable.sort(
    (a, b) =>
      b.offer.channels.length - a.offer.channels.length ||
      Number(b.offer.format === 'PCMU') - Number(a.offer.format === 'PCMU') ||
      a.index - b.index,
  );
  const best = usable[0];
  if (!best) return null;
  return {
    format: best.offer.format as 'PCMU' | 'L16',
    channels: best.offer.channels as MediaChoice['channels'],
    offer: best.offer,
  };
}
