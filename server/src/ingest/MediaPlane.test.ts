import { createSocket, type Socket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { consumeLegs, eventually, legCounters, recordingOf, streamTone } from '../test/harness.ts';
import { useTestServer } from '../test/fixtures.ts';
import type { CallTap } from '../media/CallTap.ts';

// NOTE: the media threads as EARSHOT_MEDIA_PRIORITY=idle runs them (the default is nice 10).
const t = useTestServer({ EARSHOT_MEDIA_PRIORITY: 'idle' });

// An SBC of its own thread (its timers keep running while the main thread is busy): 100
// packets of a tone per port, 20 ms apart, with a pause of 200 ms around the moment the
// main thread says (`shared[0]`, ms since the epoch) so that nothing arrives just as the
// busy second ends. (A string, so that no test-time transform can touch what runs in the
// worker.)
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createSocket } = require('node:dgram');
const socket = createSocket('udp4');
const pauseAround = new Float64Array(workerData.shared);
let n = 0;
const tick = () => {
  const now = Date.now();
  const at = pauseAround[0];
  if (!(at > 0 && now >= at - 100 && now < at + 100)) {
    for (const port of workerData.ports) {
      const packet = Buffer.alloc(172);
      packet[0] = 0x80;
      packet.writeUInt16BE(n, 2);
      packet.writeUInt32BE(n * 160, 4);
      packet.writeUInt32BE(port, 8);
      for (let i = 0; i < 160; i++) packet[12 + i] = i % 8 < 4 ? 0x20 : 0xa0;
      socket.send(packet, port, '127.0.0.1');
    }
    n += 1;
  }
  if (n < 100) setTimeout(tick, 20);
  else setTimeout(() => { socket.close(); parentPort.postMessage('done'); }, 100);
};
tick();
`;

const busy = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // the main thread does nothing else meanwhile
  }
};

/** The threads of this process by name, each with its scheduling policy (SCHED_IDLE is 5). */
const threadPolicies = () =>
  readdirSync('/proc/self/task').map((tid) => ({
    name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(),
    policy: Number(
      readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[38],
    ),
  }));

describe('media threads', () => {
  it('run under SCHED_IDLE when told, while the main thread keeps its policy', () => {
    const threads = threadPolicies();
    const isMedia = (t: { name: string }) => t.name.startsWith('earshot-media');
    expect(threads.filter(isMedia).length).toBeGreaterThan(0);
    // Nothing else inherits it: libuv's pool, made by the first thread that uses it, is
    // made by the main thread before any media thread starts.
    expect(threads.filter((t) => t.name === 'libuv-worker').length).toBeGreaterThan(0);
    expect(threads.map((t) => `${t.name}: ${t.policy}`)).toEqual(
      threads.map((t) => `${t.name}: ${isMedia(t) ? 5 : 0}`),
    );
  });

  it('go on receiving, counting and recording while the main thread is busy for a second', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    const shared = new SharedArrayBuffer(8);
    const sender = new Worker(SENDER, {
      eval: true,
      workerData: { ports: [legs.agent.port, legs.customer.port], shared },
    });
    const done = new Promise((resolve) => sender.once('message', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await legCounters(t.server, callId, 'agent');
    new Float64Array(shared)[0] = Date.now() + 1000;
    busy(1000);
    const busyEnded = Date.now();
    // The first thing after the busy second: what the media thread did meanwhile.
    const after = await legCounters(t.server, callId, 'agent');
    // About 45 packets arrived in that second, each handled as it came, not after it: the
    // last one before the pause (100 ms before the end), not a burst once the main thread
    // was free.
    expect(after.packets - before.packets).toBeGreaterThanOrEqual(35);
    expect(after.lastPacketAt!).toBeLessThan(busyEnded - 60);
    expect(after.lastPacketAt!).toBeGreaterThan(busyEnded - 250);
    await done;
    await sender.terminate();

    const ended = await t.server.api('DELETE', `/api/v1/calls/${callId}`);
    expect(ended.status).toBe(200);
    const wav = await recordingOf(t.server, callId);
    for (const channel of [wav.left, wav.right]) {
      // 100 frames of 20 ms (2 s) on each channel, nothing lost to the busy second.
      expect(channel.filter((x) => Math.abs(x) > 2000).length / 8000).toBeGreaterThan(1.9);
    }
  });

  it('that die are replaced, their legs opened again on the same ports: the call, its counters and its recording go on', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    const tone = { codec: 'PCMU' as const, frequency: 400, amplitude: 0.3, maxSeconds: 6 };
    const streams = [
      streamTone(t.sender, legs.agent.port, tone),
      streamTone(t.sender, legs.customer.port, { ...tone, ssrc: 0x5678 }),
    ];
    try {
      // Someone listens: the legs are forwarded to mediasoup.
      await consumeLegs(t.server, callId);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const before = await legCounters(t.server, callId, 'agent');
      const producer = t.server.earshot.calls.live(callId)!.tap!.legs.get('agent')!.producer;
      const forwarded = async () => (await producer.getStats())[0]?.packetCount ?? 0;
      const forwardedBefore = await forwarded();
      expect(forwardedBefore).toBeGreaterThan(0);
      expect(before.packets).toBeGreaterThanOrEqual(40);
      await t.server.earshot.media.kill();
      // The replacement comes a second later; the SBC keeps sending to the same ports.
      await eventually(
        async () => {
          const now = await legCounters(t.server, callId, 'agent').catch(() => undefined);
          return now && now.packets >= before.packets + 40 ? now : undefined;
        },
        5000,
        'the leg counting again, on from where it was',
      );
      const state = await t.server.waitForCall(
        callId,
        (c) => c.legs.customer.packets >= before.packets + 40,
        'both legs counted on',
      );
      expect(state).toMatchObject({ state: 'talking', endReason: null });
      // The replacement forwards again, to the same producer: listeners hear on.
      await eventually(
        async () => ((await forwarded()) >= forwardedBefore + 20 ? true : undefined),
        3000,
        'the leg forwarded to mediasoup again',
      );
    } finally {
      for (const s of streams) s.stop();
      await Promise.all(streams.map((s) => s.done));
    }
    const ended = await t.server.api('DELETE', `/api/v1/calls/${callId}`);
    expect(ended.status).toBe(200);
    const wav = await recordingOf(t.server, callId);
    for (const channel of [wav.left, wav.right]) {
      const audible = (from: number, to: number) =>
        channel.subarray(from * 8000, to * 8000).filter((x) => Math.abs(x) > 2000).length / 8000;
      // The tone before the death, a gap of about a second, and the tone again after it.
      expect(audible(0, 1)).toBeGreaterThan(0.8);
      expect(audible(2.3, channel.length / 8000)).toBeGreaterThan(0.4);
    }
  });

  it("whose replacement cannot forward from the dead thread's port have their calls tapped again, and listening goes on", async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    const tone = { codec: 'PCMU' as const, frequency: 400, amplitude: 0.3, maxSeconds: 8 };
    const streams = [
      streamTone(t.sender, legs.agent.port, tone),
      streamTone(t.sender, legs.customer.port, { ...tone, ssrc: 0x5678 }),
    ];
    const blockers: Socket[] = [];
    try {
      await consumeLegs(t.server, callId);
      const old = t.server.earshot.calls.live(callId)!.tap!;
      const forwardedBy = async (tap: typeof old) =>
        (await tap.legs.get('agent')!.producer.getStats())[0]?.packetCount ?? 0;
      await eventually(async () => ((await forwardedBy(old)) > 10 ? true : undefined), 3000);
      const ports = t.server.earshot.media.forwardPorts;
      let retapped: CallTap | undefined;
      t.server.earshot.calls.on('retapped', (id, tap) => {
        if (id === callId) retapped = tap;
      });
      await t.server.earshot.media.kill();
      // Someone else takes the ports the dead threads forwarded from, before their replacements.
      for (const port of ports) {
        const blocker = createSocket('udp4');
        await new Promise<void>((resolve) => blocker.bind(port, '0.0.0.0', resolve));
        blockers.push(blocker);
      }
      const tap = await eventually(() => retapped, 8000, 'the call tapped again');
      expect(tap).not.toBe(old);
      expect(old.closed).toBe(true);
      expect(t.server.earshot.media.forwardPorts.some((p) => ports.includes(p))).toBe(false);
      // A listener joins again (the console is told to): the new tap hears the legs.
      await consumeLegs(t.server, callId);
      await eventually(
        async () => ((await forwardedBy(tap)) >= 20 ? true : undefined),
        3000,
        'the leg forwarded to the new tap',
      );
    } finally {
      for (const s of streams) s.stop();
      await Promise.all(streams.map((s) => s.done));
      for (const b of blockers) b.close();
    }
  });
});
