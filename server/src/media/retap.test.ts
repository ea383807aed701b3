import { describe, expect, it } from 'vitest';
import { consumeLegs, eventually, sendTone } from '../test/harness.ts';
import { useTestServer } from '../test/fixtures.ts';

const t = useTestServer({ EARSHOT_MEDIASOUP_WORKERS: '2' });

describe('mediasoup worker death', () => {
  it('re-taps a call on another worker without the SBC changing ports, and replaces the worker', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 400,
      amplitude: 0.3,
      packets: 10,
    });
    const call = t.server.earshot.calls.live(callId)!;
    const before = call.tap!;
    const retapped = new Promise<string>((resolve) =>
      t.server.earshot.calls.once('retapped', resolve),
    );

    process.kill(before.workerPid, 'SIGKILL');
    expect(await retapped).toBe(callId);
    const after = call.tap!;
    expect(after.workerPid).not.toBe(before.workerPid);
    expect(before.closed).toBe(true);
    // A listener (re-attached) consumes the legs on the new worker.
    await consumeLegs(t.server, callId);

    // The same leg ports keep working: packets now reach the new worker's producers.
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 400,
      amplitude: 0.3,
      packets: 10,
      firstSequence: 1010,
    });
    await eventually(
      async () => {
        const stats = await after.legs.get('agent')!.producer.getStats();
        return stats[0]?.packetCount === 10 ? true : undefined;
      },
      3000,
      'the new producer to receive the packets',
    );
    // The counters are the last tick's (a quarter second at most).
    const state = await t.server.waitForCall(
      callId,
      (c) => c.legs.agent.packets === 20,
      'the 20 packets counted',
    );
    expect(state).toMatchObject({ state: 'talking', endReason: null });
    expect(state.legs.agent.packets).toBe(20);
    await eventually(
      () => (t.server.earshot.pool.size === 2 ? true : undefined),
      5000,
      'a replacement worker',
    );
    expect(t.server.earshot.pool.deaths).toBe(1);
  });
});
