// A pure-JS WebRTC receiver (werift) standing in for a browser in server tests: it turns
// mediasoup's transport and consumer parameters into an SDP offer, as mediasoup-client
// does in a browser, answers it, and collects the RTP payloads of each leg.
import { ULAW_TO_LINEAR, type LegName } from '@earshot/shared';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

interface TransportParams {
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
}
interface ConsumerParams {
  leg: LegName;
  rtpParameters: unknown;
}
interface RtpParams {
  mid?: string;
  codecs: { payloadType: number; mimeType: string; clockRate: number }[];
  encodings?: { ssrc?: number }[];
  rtcp?: { cname?: string };
}

function offerSdp(transport: TransportParams, consumers: ConsumerParams[]): string {
  const ice = transport.iceParameters as { usernameFragment: string; password: string };
  const candidate = (
    transport.iceCandidates as {
      foundation: string;
      priority: number;
      address: string;
      port: number;
      protocol: string;
    }[]
  ).find((c) => c.protocol === 'udp')!;
  const fingerprint = (
    transport.dtlsParameters as { fingerprints: { algorithm: string; value: string }[] }
  ).fingerprints.find((f) => f.algorithm === 'sha-256')!;
  const params = consumers.map((c) => c.rtpParameters as RtpParams);
  const lines = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    `a=group:BUNDLE ${params.map((p) => p.mid).join(' ')}`,
    'a=ice-lite',
    `a=fingerprint:sha-256 ${fingerprint.value}`,
  ];
  for (const p of params) {
    const codec = p.codecs[0]!;
    lines.push(
      `m=audio ${candidate.port} UDP/TLS/RTP/SAVPF ${codec.payloadType}`,
      `c=IN IP4 ${candidate.address}`,
      `a=mid:${p.mid}`,
      'a=sendonly',
      'a=rtcp-mux',
      `a=ice-ufrag:${ice.usernameFragment}`,
      `a=ice-pwd:${ice.password}`,
      `a=candidate:${candidate.foundation} 1 udp ${candidate.priority} ${candidate.address} ${candidate.port} typ host`,
      'a=end-of-candidates',
      'a=setup:actpass',
      `a=rtpmap:${codec.payloadType} ${codec.mimeType.split('/')[1]}/${codec.clockRate}`,
      `a=ssrc:${p.encodings![0]!.ssrc} cname:${p.rtcp?.cname ?? 'earshot'}`,
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

export interface WebRtcPeer {
  /** The answer's DTLS parameters, for the transport's connect(). */
  dtlsParameters: {
    role: 'client' | 'server';
    fingerprints: { algorithm: 'sha-256'; value: string }[];
  };
  /** RTP payloads received per leg, in order. */
  received: Record<LegName, Buffer[]>;
  /** When the first packet of each leg arrived (ms since the epoch). */
  firstPacketAt: Partial<Record<LegName, number>>;
  close(): Promise<void>;
}

/** Answers mediasoup's offer for a PCMU call and starts collecting what arrives. */
export async function answerWithPeer(
  transport: TransportParams,
  consumers: ConsumerParams[],
): Promise<WebRtcPeer> {
  const peer = new RTCPeerConnection({
    codecs: {
      audio: [
        new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, payloadType: 0 }),
      ],
    },
  });
  const received: Record<LegName, Buffer[]> = { agent: [], customer: [] };
  const firstPacketAt: WebRtcPeer['firstPacketAt'] = {};
  const legOfMid = new Map(consumers.map((c) => [(c.rtpParameters as RtpParams).mid, c.leg]));
  peer.onTrack.subscribe((track) => {
    const mid = peer.getTransceivers().find((t) => t.receiver.track === track)?.mid;
    const leg = legOfMid.get(mid ?? '');
    if (!leg) return;
    track.onReceiveRtp.subscribe((rtp) => {
      firstPacketAt[leg] ??= Date.now();
      received[leg].push(Buffer.from(rtp.payload));
    });
  });
  await peer.setRemoteDescription({ type: 'offer', sdp: offerSdp(transport, consumers) });
  await peer.setLocalDescription(await peer.createAnswer());
  const sdp = peer.localDescription!.sdp;
  const fingerprint = /a=fingerprint:sha-256 (\S+)/.exec(sdp)![1]!;
  const setup = /a=setup:(\S+)/.exec(sdp)![1];
  return {
    dtlsParameters: {
      role: setup === 'active' ? 'client' : 'server',
      fingerprints: [{ algorithm: 'sha-256', value: fingerprint }],
    },
    received,
    firstPacketAt,
    close: () => peer.close(),
  };
}

/** The dominant frequency of µ-law audio, from its zero crossings. */
export function frequencyOf(payloads: Buffer[]): number {
  const samples = payloads.flatMap((p) => [...p].map((b) => ULAW_TO_LINEAR[b]!));
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++;
  return (crossings / 2) * (8000 / samples.length);
}
