import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { legCounters, recordingOf } from '../test/harness.ts';
import { useTestServer } from '../test/fixtures.ts';

const t = useTestServer();

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

describe('media threads', () => {
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
});
