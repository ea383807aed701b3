import type { Codec } from '@earshot/shared';
import type { types as ms } from 'mediasoup';
import { generateRouterRtpCapabilities } from 'mediasoup/ortc';

/** Every codec a call may carry; each call's router offers all of them. */
export const ROUTER_CODECS: ms.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000 },
  { kind: 'audio', mimeType: 'audio/PCMA', clockRate: 8000 },
];

export const CLOCK_RATE: Record<Codec, number> = { PCMU: 8000, PCMA: 8000, opus: 48000 };

/** The RTP parameters of one leg's producer. */
export function producerRtpParameters(
  codec: Codec,
  payloadType: number,
  ssrc: number,
): ms.RtpParameters {
  const base = { payloadType, clockRate: CLOCK_RATE[codec] };
  const codecParameters: ms.RtpCodecParameters =
    codec === 'opus'
      ? { ...base, mimeType: 'audio/opus', channels: 2 }
      : { ...base, mimeType: `audio/${codec}` };
  return { codecs: [codecParameters], encodings: [{ ssrc }] };
}

/** The RTP capabilities of every call's router (the same codecs, so the same capabilities). */
export const ROUTER_RTP_CAPABILITIES: ms.RtpCapabilities = generateRouterRtpCapabilities(
  structuredClone(ROUTER_CODECS),
);
