// A load generator of its own (run pinned to the load core): the SBC of a benchmark. Sends
// one PCMU packet (20 ms of a 440 Hz tone) per leg every 20 ms to every target it is given,
// for a set time, and prints what it sent as JSON on its last line.
//
//   node rtp-sender.ts --targets targets.json --seconds 8
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { linearToUlaw } from '@earshot/shared';

const { values } = parseArgs({
  options: { targets: { type: 'string' }, seconds: { type: 'string', default: '8' } },
});
const targets = JSON.parse(readFileSync(values.targets!, 'utf8')) as { ip: string; port: number }[];
const seconds = Number(values.seconds);
if (!targets.length || !(seconds > 0)) throw new Error('usage: rtp-sender --targets F --seconds S');

const FRAMES = Array.from({ length: 8 }, (_, f) =>
  Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(8000 * Math.sin((2 * Math.PI * 440 * (f * 160 + i)) / 8000)),
  ),
);
// NOTE: several sockets with big buffers, so that a burst of a few thousand packets every
// 20 ms never waits on one socket's queue.
const sockets: Socket[] = [];
for (let i = 0; i < 8; i++) {
  const socket = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  sockets.push(socket);
}

const frames = Math.round(seconds * 50);
const start = Date.now();
let sent = 0;
let late = 0;
for (let n = 0; n < frames; n++) {
  const wait = start + n * 20 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  else if (wait < -20) late++;
  const payload = FRAMES[n % 8]!;
  for (let i = 0; i < targets.length; i++) {
    // NOTE: a buffer per packet: a send that had to queue still holds the one it was given.
    const packet = Buffer.allocUnsafe(172);
    packet[0] = 0x80;
    packet[1] = 0;
    packet.writeUInt32BE(i + 1, 8);
    packet.writeUInt16BE(n & 0xffff, 2);
    packet.writeUInt32BE((n * 160) >>> 0, 4);
    packet.set(payload, 12);
    const target = targets[i]!;
    sockets[i % sockets.length]!.send(packet, target.port, target.ip);
    sent++;
  }
}
const elapsed = (Date.now() - start) / 1000;
// NOTE: the last frame may still wait in a socket queue: let it go before closing.
await new Promise((resolve) => setTimeout(resolve, 200));
for (const socket of sockets) socket.close();
console.log(JSON.stringify({ sent, elapsed, late }));
