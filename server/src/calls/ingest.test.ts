import { buildRtp, type Call, type Codec } from '@earshot/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { consumeLegs, sendTone, streamTone, udpSocket } from '../test/harness.ts';
import { useTestServer } from '../test/fixtures.ts';

const t = useTestServer({ EARSHOT_CALL_IDLE_TIMEOUT_MS: '1500' });

afterEach(async () => {
  for (const call of t.server.earshot.calls.list())
    await t.server.api('DELETE', `/api/v1/calls/${call.id}`);
});

const getCall = async (id: string) => (await t.server.api<Call>('GET', `/api/v1/calls/${id}`)).body;

describe('plain-RTP ingest', () => {
  it.each<[Codec, number]>([
    ['PCMU', 172],
    ['PCMA', 172],
    ['opus', 0],
  ])('%s on both legs shows up in per-leg counters and levels', async (codec, packetBytes) => {
    const { callId, legs } = await t.server.createCall(codec);
    expect((await getCall(callId)).state).toBe('ringing');
    await consumeLegs(t.server, callId);
    const peaks = { agent: 0, customer: 0 };
    let sending = true;
    const watch = (async () => {
      while (sending) {
        const call = await getCall(callId);
        peaks.agent = Math.max(peaks.agent, call.legs.agent.level);
        peaks.customer = Math.max(peaks.customer, call.legs.customer.level);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    // A loud agent (-6 dBFS peak, -9 dBFS RMS) and a quiet customer (-30 dBFS peak).
    await Promise.all([
      sendTone(t.sender, legs.agent.port, {
        codec,
        frequency: 440,
        amplitude: 0.5,
        packets: 75,
        ssrc: 0xa1,
      }),
      sendTone(t.sender, legs.customer.port, {
        codec,
        frequency: 660,
        amplitude: 0.0316,
        packets: 75,
        ssrc: 0xc1,
      }),
    ]);
    sending = false;
    await watch;

    const call = await t.server.waitForCall(
      callId,
      (c) => c.legs.agent.packets === 75 && c.legs.customer.packets === 75,
      'both legs counted',
      3000,
    );
    expect(call.state).toBe('talking');
    for (const leg of ['agent', 'customer'] as const) {
      expect(call.legs[leg].dropped).toBe(0);
      expect(call.legs[leg].lost).toBe(0);
      if (packetBytes) expect(call.legs[leg].bytes).toBe(75 * packetBytes);
      else expect(call.legs[leg].bytes).toBeGreaterThan(75 * 12);
    }
    // RMS of a sine is peak / sqrt(2): -9 dBFS reads 0.85, -33 dBFS reads 0.45.
    expect(peaks.agent).toBeGreaterThan(0.78);
    expect(peaks.agent).toBeLessThan(0.92);
    expect(peaks.customer).toBeGreaterThan(0.37);
    expect(peaks.customer).toBeLessThan(0.53);

    // The audio reached mediasoup (it has a consumer): each leg's producer counted it.
    const tap = t.server.earshot.calls.live(callId)!.tap!;
    for (const leg of ['agent', 'customer'] as const) {
      const stats = await tap.legs.get(leg)!.producer.getStats();
      expect(stats[0]?.packetCount).toBe(75);
    }
  });

  it('drops and counts garbage, RTCP, wrong payload types and a second source, and keeps working', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    const intruder = await udpSocket();
    try {
      await sendTone(t.sender, legs.agent.port, {
        codec: 'PCMU',
        frequency: 300,
        amplitude: 0.3,
        packets: 10,
      });
      const garbage = [
        Buffer.from('hello, not RTP'),
        Buffer.alloc(0),
        Buffer.alloc(3, 0x80),
        Buffer.alloc(1400, 0xff),
        Buffer.from([0x80, 200, 0, 6, ...new Array(24).fill(0)]), // RTCP t.sender report
        Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3]), // payload type 96 on a PCMU call
        Buffer.from([0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), // extension bit, no extension
      ];
      for (let i = 0; i < 40; i++)
        garbage.push(
          Buffer.from(
            Array.from({ length: 1 + ((i * 37) % 300) }, (_, j) => (i * 31 + j * 7) & 0xff),
          ),
        );
      for (const g of garbage) t.sender.send(g, legs.agent.port, '127.0.0.1');
      // A second t.sender of valid RTP while the first is live.
      await sendTone(intruder, legs.agent.port, {
        codec: 'PCMU',
        frequency: 900,
        amplitude: 0.3,
        packets: 5,
        ssrc: 0x99,
      });
      await sendTone(t.sender, legs.agent.port, {
        codec: 'PCMU',
        frequency: 300,
        amplitude: 0.3,
        packets: 10,
        firstSequence: 1010,
      });
      const notRtp = garbage.filter((g) => g.length < 12 || g[0]! >> 6 !== 2).length;
      const expectedDropped = garbage.length + 5;
      const call = await t.server.waitForCall(
        callId,
        (c) => c.legs.agent.packets === 20 && c.legs.agent.dropped === expectedDropped,
        `20 packets and ${expectedDropped} drops`,
        3000,
      );
      expect(notRtp).toBeGreaterThan(30);
      expect(call.legs.agent.lost).toBe(0);
      expect(call.legs.customer.dropped).toBe(0);
      expect(t.server.earshot.pool.size).toBe(1);
      const health = await t.server.api<{ status: string }>('GET', '/healthz');
      expect(health.body.status).toBe('ok');
    } finally {
      intruder.close();
    }
  });

  it('a flood of garbage and stray RTP on one call’s ports does not disturb another call', async () => {
    const flooded = await t.server.createCall('PCMU');
    const quiet = await t.server.createCall('PCMU');
    const flooder = await udpSocket();
    try {
      const tone = streamTone(t.sender, quiet.legs.agent.port, {
        codec: 'PCMU',
        frequency: 440,
        amplitude: 0.3,
        ssrc: 5,
        maxSeconds: 3,
      });
      // 30,000 datagrams as fast as the sender can, bounded: junk, huge, and RTP of many
      // sources and payload types, on both legs of the flooded call.
      let sent = 0;
      const start = Date.now();
      for (let i = 0; i < 30_000 && Date.now() - start < 10_000; i++) {
        const port = i % 2 ? flooded.legs.agent.port : flooded.legs.customer.port;
        const kind = i % 4;
        const datagram =
          kind === 0
            ? Buffer.alloc(1 + (i % 1400), i & 0xff)
            : kind === 1
              ? Buffer.alloc(60_000, 0x80)
              : buildRtp(
                  {
                    payloadType: kind === 2 ? 0 : 96 + (i % 30),
                    sequenceNumber: i & 0xffff,
                    timestamp: i * 160,
                    ssrc: i,
                  },
                  new Uint8Array(160),
                );
        flooder.send(datagram, port, '127.0.0.1');
        sent++;
        if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await tone.done;
      const call = await t.server.waitForCall(
        quiet.callId,
        (c) => c.legs.agent.packets >= 145,
        'the quiet call’s packets',
        3000,
      );
      expect(sent).toBeGreaterThan(10_000);
      expect(call.state).not.toBe('ended');
      expect(call.legs.agent.lost).toBe(0);
      expect(call.legs.agent.dropped).toBe(0);
      expect(t.server.earshot.pool.size).toBe(1);
      const hit = await getCall(flooded.callId);
      expect(hit.legs.agent.dropped + hit.legs.customer.dropped).toBeGreaterThan(1000);
      expect((await t.server.api<{ status: string }>('GET', '/healthz')).body.status).toBe('ok');
    } finally {
      flooder.close();
    }
  });

  it('counts lost packets from sequence gaps and follows an SSRC change', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    await consumeLegs(t.server, callId);
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 300,
      amplitude: 0.3,
      packets: 10,
      firstSequence: 65530,
    });
    // Skip 3 sequence numbers across the wrap, then a new SSRC (a transfer on the SBC).
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 300,
      amplitude: 0.3,
      packets: 10,
      firstSequence: 7,
    });
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 300,
      amplitude: 0.3,
      packets: 10,
      ssrc: 0x5151,
      firstSequence: 40000,
    });
    const call = await t.server.waitForCall(
      callId,
      (c) => c.legs.agent.packets === 30,
      '30 packets',
      3000,
    );
    expect(call.legs.agent.lost).toBe(3);
    const stats = await t.server.earshot.calls
      .live(callId)!
      .tap!.legs.get('agent')!
      .producer.getStats();
    expect(stats[0]?.packetCount).toBe(30);
  });

  it('ending a call closes its router, transports and producers', async () => {
    const { callId, legs } = await t.server.createCall('PCMA');
    await sendTone(t.sender, legs.customer.port, {
      codec: 'PCMA',
      frequency: 500,
      amplitude: 0.2,
      packets: 5,
    });
    const [worker] = t.server.earshot.pool.workers();
    expect((await worker!.dump()).routerIds).toHaveLength(1);
    const ended = await t.server.api<Call>('DELETE', `/api/v1/calls/${callId}`);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ state: 'ended', endReason: 'hangup' });
    expect(ended.body.legs.customer.packets).toBe(5);
    expect((await worker!.dump()).routerIds).toHaveLength(0);
    expect((await t.server.api<{ calls: Call[] }>('GET', '/api/v1/calls')).body.calls).toHaveLength(
      0,
    );
    // The ended call is still there to look up, with its final counters.
    expect(await getCall(callId)).toMatchObject({ state: 'ended', endReason: 'hangup' });
    expect((await t.server.api('DELETE', `/api/v1/calls/${callId}`)).status).toBe(409);
  });

  it('a call with no RTP on either leg ends by itself after the idle timeout', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 300,
      amplitude: 0.3,
      packets: 10,
    });
    expect((await getCall(callId)).state).toBe('talking');
    const ended = await t.server.waitForCall(
      callId,
      (c) => c.state === 'ended',
      'the idle call to end',
      4000,
    );
    expect(ended.endReason).toBe('idle');
    const idleMs = Date.parse(ended.endedAt!) - Date.parse(ended.legs.agent.lastPacketAt!);
    expect(idleMs).toBeGreaterThanOrEqual(1500);
    expect(idleMs).toBeLessThan(2500);
  });
});
