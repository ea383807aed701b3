import { LEGS, type LegName } from '@earshot/shared';
import type { types as ms } from 'mediasoup';
import { describe, expect, it } from 'vitest';
import { eventually, sendTone } from '../test/harness.ts';
import { useTestServer } from '../test/fixtures.ts';
import { answerWithPeer, frequencyOf } from '../test/webrtcPeer.ts';

const t = useTestServer();

describe('WebRTC consumers of a tapped call', () => {
  it('a WebRtcTransport consumer of each leg delivers that leg, and only that leg, to a WebRTC peer', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    const tone = (leg: LegName, frequency: number, packets: number, firstSequence: number) =>
      sendTone(t.sender, legs[leg].port, {
        codec: 'PCMU',
        frequency,
        amplitude: 0.4,
        packets,
        ssrc: 0x10,
        firstSequence,
      });
    await Promise.all([tone('agent', 440, 5, 1000), tone('customer', 1000, 5, 1000)]);
    const tap = t.server.earshot.calls.live(callId)!.tap!;
    const transport = await tap.router.createWebRtcTransport({
      listenInfos: [{ protocol: 'udp', ip: '127.0.0.1', portRange: { min: 40000, max: 44999 } }],
    });
    const consumers: { leg: LegName; consumer: ms.Consumer }[] = [];
    for (const leg of LEGS) {
      const producerId = tap.legs.get(leg)!.producer.id;
      consumers.push({
        leg,
        consumer: await transport.consume({
          producerId,
          rtpCapabilities: tap.router.rtpCapabilities,
          paused: true,
        }),
      });
    }
    const peer = await answerWithPeer(
      transport,
      consumers.map(({ leg, consumer }) => ({ leg, rtpParameters: consumer.rtpParameters })),
    );
    try {
      await transport.connect({ dtlsParameters: peer.dtlsParameters });
      for (const { consumer } of consumers) await consumer.resume();
      await eventually(
        () => (transport.dtlsState === 'connected' ? true : undefined),
        5000,
        'DTLS to connect',
      );
      // Distinguishable legs: 440 Hz from the agent, 1000 Hz from the customer.
      await Promise.all([tone('agent', 440, 50, 2000), tone('customer', 1000, 50, 2000)]);
      await eventually(
        () => (LEGS.every((leg) => peer.received[leg].length >= 40) ? true : undefined),
        3000,
        'both legs',
      );
      expect(frequencyOf(peer.received.agent.slice(-30))).toBeCloseTo(440, -1);
      expect(frequencyOf(peer.received.customer.slice(-30))).toBeCloseTo(1000, -1);
    } finally {
      await peer.close();
      transport.close();
    }
    expect((await tap.router.dump()).transportIds).toHaveLength(2); // only the two ingest transports remain
  });
});
