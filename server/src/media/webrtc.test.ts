import { LEGS, ULAW_TO_LINEAR, type LegName } from '@earshot/shared';
import type { types as ms } from 'mediasoup';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { describe, expect, it } from 'vitest';
import { eventually, sendTone, useTestServer } from '../test/harness.ts';

const t = useTestServer();

/** mediasoup's side of a receive-only session as an SDP offer (what mediasoup-client builds in a browser). */
function offerSdp(transport: ms.WebRtcTransport, consumers: Map<LegName, ms.Consumer>): string {
  const candidate = transport.iceCandidates[0]!;
  const fingerprint = transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256')!;
  const mids = [...consumers.values()].map((c) => c.rtpParameters.mid!);
  const lines = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    `a=group:BUNDLE ${mids.join(' ')}`,
    'a=ice-lite',
    `a=fingerprint:${fingerprint.algorithm} ${fingerprint.value}`,
  ];
  for (const consumer of consumers.values()) {
    const codec = consumer.rtpParameters.codecs[0]!;
    const ssrc = consumer.rtpParameters.encodings![0]!.ssrc!;
    lines.push(
      `m=audio ${candidate.port} UDP/TLS/RTP/SAVPF ${codec.payloadType}`,
      `c=IN IP4 ${candidate.address}`,
      `a=mid:${consumer.rtpParameters.mid}`,
      'a=sendonly',
      'a=rtcp-mux',
      `a=ice-ufrag:${transport.iceParameters.usernameFragment}`,
      `a=ice-pwd:${transport.iceParameters.password}`,
      `a=candidate:${candidate.foundation} 1 udp ${candidate.priority} ${candidate.address} ${candidate.port} typ host`,
      'a=end-of-candidates',
      'a=setup:actpass',
      `a=rtpmap:${codec.payloadType} ${codec.mimeType.split('/')[1]}/${codec.clockRate}`,
      `a=ssrc:${ssrc} cname:${consumer.rtpParameters.rtcp?.cname ?? 'earshot'}`,
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The dominant frequency of µ-law audio, from its zero crossings. */
function frequencyOf(payloads: Buffer[]): number {
  const samples = payloads.flatMap((p) => [...p].map((b) => ULAW_TO_LINEAR[b]!));
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++;
  return (crossings / 2) * (8000 / samples.length);
}

describe('WebRTC consumers of a tapped call', () => {
  it('a WebRtcTransport consumer of each leg delivers that leg, and only that leg, to a WebRTC peer', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    // Start the legs so that both producers exist with traffic.
    await Promise.all(
      LEGS.map((leg) =>
        sendTone(t.sender, legs[leg].port, {
          codec: 'PCMU',
          frequency: 440,
          amplitude: 0.3,
          packets: 5,
          ssrc: 0x10,
        }),
      ),
    );
    const tap = t.server.earshot.calls.live(callId)!.tap!;
    const transport = await tap.router.createWebRtcTransport({
      listenInfos: [{ protocol: 'udp', ip: '127.0.0.1', portRange: { min: 40000, max: 44999 } }],
    });
    const consumers = new Map<LegName, ms.Consumer>();
    for (const leg of LEGS) {
      const producer = tap.legs.get(leg)!.producer;
      consumers.set(
        leg,
        await transport.consume({
          producerId: producer.id,
          rtpCapabilities: tap.router.rtpCapabilities,
          paused: true,
        }),
      );
    }

    const peer = new RTCPeerConnection({
      codecs: {
        audio: [
          new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, payloadType: 0 }),
        ],
      },
    });
    const received = new Map<string, Buffer[]>();
    peer.onTrack.subscribe((track) => {
      const mid = peer.getTransceivers().find((t) => t.receiver.track === track)?.mid ?? '?';
      received.set(mid, []);
      track.onReceiveRtp.subscribe((rtp) => received.get(mid)!.push(Buffer.from(rtp.payload)));
    });
    try {
      await peer.setRemoteDescription({ type: 'offer', sdp: offerSdp(transport, consumers) });
      const answer = await peer.createAnswer();
      await peer.setLocalDescription(answer);
      const sdp = peer.localDescription!.sdp;
      const fingerprint = /a=fingerprint:(\S+) (\S+)/.exec(sdp)!;
      const setup = /a=setup:(\S+)/.exec(sdp)![1];
      await transport.connect({
        dtlsParameters: {
          role: setup === 'active' ? 'client' : 'server',
          fingerprints: [{ algorithm: fingerprint[1] as 'sha-256', value: fingerprint[2]! }],
        },
      });
      for (const consumer of consumers.values()) await consumer.resume();
      await eventually(
        () => (transport.dtlsState === 'connected' ? true : undefined),
        5000,
        'DTLS to connect',
      );

      // Distinguishable legs: 440 Hz from the agent, 1000 Hz from the customer.
      await Promise.all([
        sendTone(t.sender, legs.agent.port, {
          codec: 'PCMU',
          frequency: 440,
          amplitude: 0.4,
          packets: 50,
          ssrc: 0x10,
          firstSequence: 2000,
        }),
        sendTone(t.sender, legs.customer.port, {
          codec: 'PCMU',
          frequency: 1000,
          amplitude: 0.4,
          packets: 50,
          ssrc: 0x10,
          firstSequence: 2000,
        }),
      ]);
      await eventually(
        () =>
          [...received.values()].every((p) => p.length >= 40) && received.size === 2
            ? true
            : undefined,
        3000,
        'both tracks',
      );
      const midOf = (leg: LegName) => consumers.get(leg)!.rtpParameters.mid!;
      expect(frequencyOf(received.get(midOf('agent'))!.slice(-30))).toBeCloseTo(440, -1);
      expect(frequencyOf(received.get(midOf('customer'))!.slice(-30))).toBeCloseTo(1000, -1);
    } finally {
      await peer.close();
      transport.close();
    }
    expect((await tap.router.dump()).transportIds).toHaveLength(2); // only the two ingest transports remain
  });
});
