import { z } from 'zod';

/** How calls stream in over WebSocket: Genesys Cloud AudioHook or Twilio Media Streams. */
export const StreamKind = z.enum(['audiohook', 'twilio']);
export type StreamKind = z.infer<typeof StreamKind>;

/** Which party a Twilio stream's `inbound` track carries (the other track is the other). */
export const TwilioInbound = z.enum(['customer', 'agent']);
export type TwilioInbound = z.infer<typeof TwilioInbound>;

/** An integration that streams calls in, as admins see it (never its secrets). */
export const StreamIntegration = z.object({
  id: z.string(),
  kind: StreamKind,
  name: z.string(),
  /** The start of the AudioHook API key, or the Twilio account SID. */
  keyHint: z.string(),
  /** AudioHook: the Genesys organisation it must come from, if pinned. */
  organizationId: z.string().nullable(),
  /** Twilio: the party on the inbound track. */
  inbound: TwilioInbound.nullable(),
  /** Set by EARSHOT_AUDIOHOOK_* / EARSHOT_TWILIO_* (not stored, not removable here). */
  fromConfig: z.boolean(),
  createdAt: z.string(),
  createdBy: z.string(),
  /** Sessions streaming now. */
  liveSessions: z.number().int(),
  /** Sessions taken since the server started. */
  sessions: z.number().int(),
  lastError: z.object({ at: z.string(), message: z.string() }).nullable(),
});
export type StreamIntegration = z.infer<typeof StreamIntegration>;

/** `POST /api/v1/integrations/audiohook`: Earshot makes the API key and client secret. */
export const CreateAudioHookIntegration = z.strictObject({
  name: z.string().trim().min(1).max(120),
  organizationId: z
    .string()
    .regex(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
      'a Genesys organization id (UUID)',
    )
    .optional(),
});
export type CreateAudioHookIntegration = z.infer<typeof CreateAudioHookIntegration>;

/** The answer to a creation: the only time the API key and client secret are shown. */
export const CreatedAudioHookIntegration = StreamIntegration.extend({
  apiKey: z.string(),
  clientSecret: z.string(),
});
export type CreatedAudioHookIntegration = z.infer<typeof CreatedAudioHookIntegration>;

/** `POST /api/v1/integrations/twilio`: a Twilio account whose streams Earshot takes. */
export const CreateTwilioAccount = z.strictObject({
  name: z.string().trim().min(1).max(120),
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'a Twilio account SID (AC + 32 hex digits)'),
  authToken: z.string().regex(/^[0-9a-fA-F]{32}$/, 'a Twilio auth token (32 hex digits)'),
  inbound: TwilioInbound.default('customer'),
});
export type CreateTwilioAccount = z.input<typeof CreateTwilioAccount>;
