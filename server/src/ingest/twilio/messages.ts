// Twilio Media Streams: the messages Twilio sends over the WebSocket, parsed. Pure.
import { z } from 'zod';
import { parseJsonMessage } from '../jsonMessage.ts';

/** The largest text message taken (a 20 ms media message is about 400 bytes). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

const Seq = z
  .string()
  .regex(/^\d{1,15}$/, 'a sequence number')
  .transform(Number);
const Sid = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`));

export const TwilioMessage = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('connected'),
    protocol: z.string().max(32).optional(),
    version: z.string().max(32).optional(),
  }),
  z.object({
    event: z.literal('start'),
    sequenceNumber: Seq,
    streamSid: z.string().max(64),
    start: z.object({
      accountSid: Sid('AC'),
      callSid: Sid('CA'),
      streamSid: z.string().max(64).optional(),
      tracks: z.array(z.string().max(32)).max(4),
      customParameters: z.record(z.string().max(64), z.string().max(512)).optional(),
      mediaFormat: z.object({
        encoding: z.string().max(64),
        sampleRate: z.number(),
        channels: z.number(),
      }),
    }),
  }),
  z.object({
    event: z.literal('media'),
    sequenceNumber: Seq,
    streamSid: z.string().max(64),
    media: z.object({
      track: z.string().max(32),
      chunk: z.string().max(20).optional(),
      timestamp: z
        .string()
        .regex(/^\d{1,12}$/, 'a timestamp in ms')
        .transform(Number),
      payload: z
        .string()
        .max(48_000)
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
    }),
  }),
  z
    .object({ event: z.literal('mark'), sequenceNumber: Seq, streamSid: z.string().max(64) })
    .loose(),
  z
    .object({ event: z.literal('dtmf'), sequenceNumber: Seq, streamSid: z.string().max(64) })
    .loose(),
  z.object({
    event: z.literal('stop'),
    sequenceNumber: Seq,
    streamSid: z.string().max(64),
    stop: z.object({ accountSid: Sid('AC').optional(), callSid: Sid('CA').optional() }).optional(),
  }),
]);
export type TwilioMessage = z.infer<typeof TwilioMessage>;

export class TwilioProtocolError extends Error {}

/** Parses one message; throws TwilioProtocolError saying what is wrong with it. */
export function parseTwilioMessage(text: string): TwilioMessage {
  const parsed = parseJsonMessage(text, TwilioMessage, {
    key: 'event',
    known: TwilioMessage.options.map((o) => o.shape.event.value),
    maxBytes: MAX_MESSAGE_BYTES,
    unknown: 'not a Twilio Media Streams message',
  });
  if (!parsed.ok) throw new TwilioProtocolError(parsed.error);
  return parsed.message;
}
