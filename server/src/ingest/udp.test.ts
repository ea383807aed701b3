import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeSchedIdle, udpBinder, udpTarget, type UdpBinder, type UdpPort } from './udp.ts';

const binders: UdpBinder[] = [];
const peers: Socket[] = [];
afterEach(() => {
  for (const b of binders.splice(0)) b.close();
  for (const p of peers.splice(0)) p.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function peer(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  peers.push(s);
  return s;
}

/** A port of `binder` on a free port of 127.0.0.1. */
async function bound(binder: UdpBinder): Promise<UdpPort> {
  for (let i = 0; i < 50; i++) {
    const port = await binder.bind('127.0.0.1', 20000 + Math.floor(Math.random() * 30000), 1 << 20);
    if (port) return port;
  }
  throw new Error('no free port');
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await pause(10);
  }
}

describe.each(['udpmux', 'dgram'] as const)('UDP ports read with %s', (kind) => {
  const binder = () => {
    const b = udpBinder(kind);
    binders.push(b);
    return b;
  };

  it('hands over each datagram with its sender, and sends from the port it was bound on', async () => {
    const b = binder();
    expect(b.kind).toBe(kind);
    const port = await bound(b);
    const from = await peer();
    const got: { text: string; address: string; port: number }[] = [];
    const start = Date.now();
    const times: { arrivedAt: number; readAt: number }[] = [];
    port.receive((msg, address, sender, arrivedAt) => {
      got.push({ text: msg.toString(), address, port: sender });
      times.push({ arrivedAt, readAt: Date.now() });
      // Rewritten in place and sent back, as a leg forwards to its tap.
      msg[0] = 'H'.charCodeAt(0);
      port.send(msg, udpTarget(address, sender));
    });
    const echoed: string[] = [];
    from.on('message', (msg, rinfo) => {
      expect(rinfo.port).toBe(port.port);
      echoed.push(msg.toString());
    });
    for (let i = 0; i < 40; i++) from.send(`hello ${i}`, port.port, '127.0.0.1');
    await until(() => echoed.length === 40);
    expect(got.map((g) => g.text)).toEqual(Array.from({ length: 40 }, (_, i) => `hello ${i}`));
    expect(new Set(got.map((g) => `${g.address}:${g.port}`))).toEqual(
      new Set([`127.0.0.1:${from.address().port}`]),
    );
    expect(echoed[39]).toBe('Hello 39');
    // Each came at a moment of this test, milliseconds since the epoch (a ms of slack: the
    // kernel's microseconds against Date.now's whole ms).
    for (const t of times) {
      expect(t.arrivedAt).toBeGreaterThanOrEqual(start - 1);
      expect(t.arrivedAt).toBeLessThanOrEqual(t.readAt + 1);
    }
  });

  it('binds a port exclusively, and frees it when closed', async () => {
    const b = binder();
    const port = await bound(b);
    expect(await b.bind('127.0.0.1', port.port, 1 << 16)).toBeUndefined();
    // Nor can anyone else in the process.
    const other = createSocket({ type: 'udp4' });
    const refused = await new Promise<boolean>((resolve) => {
      other.once('error', () => resolve(true));
      other.bind({ port: port.port, address: '127.0.0.1', exclusive: true }, () => resolve(false));
    });
    other.close();
    expect(refused).toBe(true);
    port.close();
    port.close(); // idempotent
    const again = await b.bind('127.0.0.1', port.port, 1 << 16);
    expect(again?.port).toBe(port.port);
  });

  it('a flooded port does not keep the others from being read', async () => {
    const b = binder();
    const ports = await Promise.all(Array.from({ length: 20 }, () => bound(b)));
    const counts = ports.map(() => 0);
    ports.forEach((p, i) => p.receive(() => (counts[i]! += 1)));
    const flood = await peer();
    const quiet = await peer();
    const payload = Buffer.alloc(172, 1);
    for (let round = 0; round < 20; round++) {
      for (let n = 0; n < 200; n++) flood.send(payload, ports[0]!.port, '127.0.0.1');
      for (const p of ports.slice(1)) quiet.send(payload, p.port, '127.0.0.1');
      await pause(5);
    }
    await until(() => counts.slice(1).every((c) => c === 20));
    expect(counts[0]).toBeGreaterThan(0);
  });

  it('reads every datagram once, whole and in order, when more wait than one batch holds', async () => {
    const b = binder();
    // 60 ports x 20 datagrams: past a batch (512) and past a socket's share of one wake-up.
    const ports = await Promise.all(Array.from({ length: 60 }, () => bound(b)));
    const got = ports.map(() => [] as number[]);
    const intact = ports.map(() => true);
    ports.forEach((p, i) =>
      p.receive((msg) => {
        got[i]!.push(msg.readUInt32BE(4));
        if (msg.length !== 172 || msg.readUInt32BE(0) !== i || msg[171] !== (i & 0xff))
          intact[i] = false;
      }),
    );
    const from = await peer();
    for (let n = 0; n < 20; n++)
      ports.forEach((p, i) => {
        const payload = Buffer.alloc(172, i & 0xff);
        payload.writeUInt32BE(i, 0);
        payload.writeUInt32BE(n, 4);
        from.send(payload, p.port, '127.0.0.1');
      });
    await until(() => got.every((g) => g.length >= 20));
    await pause(50);
    const inOrder = Array.from({ length: 20 }, (_, n) => n);
    expect(got.every((g) => g.join() === inOrder.join())).toBe(true);
    expect(intact.every(Boolean)).toBe(true);
  });

  it('a port whose handler is removed reads and drops; other ports go on', async () => {
    const b = binder();
    const [a, c] = [await bound(b), await bound(b)];
    let seenA = 0;
    let seenC = 0;
    a.receive(() => (seenA += 1));
    c.receive(() => (seenC += 1));
    const from = await peer();
    from.send('1', a.port, '127.0.0.1');
    await until(() => seenA === 1);
    a.receive(undefined);
    from.send('2', a.port, '127.0.0.1');
    from.send('3', c.port, '127.0.0.1');
    await until(() => seenC === 1);
    await pause(50);
    expect(seenA).toBe(1);
  });

  it('closing the binder closes every port it bound', async () => {
    const b = binder();
    const ports = await Promise.all([bound(b), bound(b), bound(b)]);
    b.close();
    const again = udpBinder(kind);
    binders.push(again);
    for (const p of ports)
      expect((await again.bind('127.0.0.1', p.port, 1 << 16))?.port).toBe(p.port);
  });

  it('the ports of a thread that ends are free at once for the thread started in its place', async () => {
    const url = new URL('./udp.ts', import.meta.url).href;
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       import(${JSON.stringify(url)}).then(async ({ udpBinder }) => {
         const b = udpBinder(${JSON.stringify(kind)});
         const ports = [];
         while (ports.length < 3) {
           const p = await b.bind('127.0.0.1', 20000 + Math.floor(Math.random() * 30000), 65536);
           if (p) ports.push(p.port);
         }
         parentPort.postMessage(ports);
       });`,
      { eval: true },
    );
    const [taken] = (await once(worker, 'message')) as [number[]];
    await worker.terminate();
    const b = binder();
    for (const port of taken) expect((await b.bind('127.0.0.1', port, 1 << 16))?.port).toBe(port);
  });
});

describe('udpmux', () => {
  it("stamps each datagram with the kernel's receive time, so what waited while the thread was held up keeps its time", async () => {
    const b = udpBinder('udpmux');
    binders.push(b);
    const port = await bound(b);
    const got: { text: string; arrivedAt: number; readAt: number }[] = [];
    port.receive((msg, _address, _port, arrivedAt) =>
      got.push({ text: msg.toString(), arrivedAt, readAt: Date.now() }),
    );
    // A sender of its own (a thread), 300 ms between two datagrams, while this thread is
    // busy for a second and reads neither until it is done.
    const sender = new Worker(
      `const s = require('node:dgram').createSocket('udp4');
       require('node:worker_threads').parentPort.postMessage('ready');
       setTimeout(() => s.send('first', ${port.port}, '127.0.0.1', () =>
         setTimeout(() => s.send('second', ${port.port}, '127.0.0.1', () => s.close()), 300)), 100);`,
      { eval: true },
    );
    await once(sender, 'message');
    const busyUntil = Date.now() + 1000;
    while (Date.now() < busyUntil);
    await until(() => got.length === 2);
    await sender.terminate();
    const [first, second] = got as [(typeof got)[0], (typeof got)[0]];
    expect([first.text, second.text]).toEqual(['first', 'second']);
    expect(second.arrivedAt - first.arrivedAt).toBeGreaterThanOrEqual(250);
    // Both waited in the socket: read together, after the busy spell, long after they came.
    expect(second.readAt - first.readAt).toBeLessThan(100);
    expect(first.readAt - first.arrivedAt).toBeGreaterThanOrEqual(300);
  });

  it('what a batch sends on is sent once it is handled: rewritten, whole, in order; a refused one is counted', async () => {
    const b = udpBinder('udpmux');
    binders.push(b);
    const [inbound, forward] = [await bound(b), await bound(b)];
    const to = await peer();
    const got: Buffer[] = [];
    to.on('message', (msg) => got.push(msg));
    const target = udpTarget('127.0.0.1', to.address().port);
    // Broadcast without SO_BROADCAST: the kernel refuses it (EACCES).
    const refused = udpTarget('255.255.255.255', 9);
    let sentFromBatch = 0;
    inbound.receive((msg) => {
      msg[0] = 0xaa;
      if (msg.readUInt32BE(4) === 7) expect(forward.send(msg, refused)).toBe(true);
      expect(forward.send(msg, target)).toBe(true);
      sentFromBatch++;
    });
    const from = await peer();
    for (let n = 0; n < 40; n++) {
      const payload = Buffer.alloc(172, n);
      payload.writeUInt32BE(n, 4);
      from.send(payload, inbound.port, '127.0.0.1');
    }
    await until(() => got.length === 40);
    expect(sentFromBatch).toBe(40);
    expect(got.map((m) => m.readUInt32BE(4))).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(got.every((m, n) => m.length === 172 && m[0] === 0xaa && m[171] === n)).toBe(true);
    expect(b.unsent()).toBe(1);
    // Outside a batch, a send leaves at once.
    expect(forward.send(Buffer.alloc(12, 1), target)).toBe(true);
    await until(() => got.length === 41);
  });

  it('a port closed while its batch is handled sends nothing it queued', async () => {
    const b = udpBinder('udpmux');
    binders.push(b);
    const [inbound, forward] = [await bound(b), await bound(b)];
    const to = await peer();
    let got = 0;
    to.on('message', () => (got += 1));
    const target = udpTarget('127.0.0.1', to.address().port);
    let handled = 0;
    inbound.receive((msg) => {
      forward.send(msg, target);
      if (++handled === 3) forward.close();
    });
    const from = await peer();
    for (let n = 0; n < 3; n++) from.send(Buffer.alloc(172, n), inbound.port, '127.0.0.1');
    await until(() => handled === 3);
    await pause(100);
    // The ones queued before the close went with their batch, or none did: never after it.
    expect(got).toBeLessThan(3);
    expect(b.unsent()).toBe(0);
  });

  it('a datagram longer than a slot reaches its port as nothing, and the next one whole', async () => {
    const b = udpBinder('udpmux');
    binders.push(b);
    const port = await bound(b);
    const got: number[] = [];
    port.receive((msg) => got.push(msg.length));
    const from = await peer();
    from.send(Buffer.alloc(9000, 7), port.port, '127.0.0.1');
    from.send(Buffer.alloc(172, 7), port.port, '127.0.0.1');
    await until(() => got.length === 2);
    expect(got).toEqual([0, 172]);
  });

  it('tells its watcher, once a batch, how long the oldest datagram of it waited in its socket', async () => {
    const batches: { waitedMs: number; at: number }[] = [];
    const b = udpBinder('udpmux', (waitedMs, now) => batches.push({ waitedMs, at: now }));
    binders.push(b);
    const [one, two] = [await bound(b), await bound(b)];
    let read = 0;
    for (const p of [one, two]) p.receive(() => (read += 1));
    const from = await peer();
    from.send('early', one.port, '127.0.0.1');
    await pause(50);
    // Read at once: it hardly waited.
    await until(() => read === 1);
    // A sender of its own (a thread) while this one is busy from the start: both datagrams
    // wait in their sockets and are read in one batch.
    const sent = new Float64Array(new SharedArrayBuffer(8));
    const sender = new Worker(
      `const s = require('node:dgram').createSocket('udp4');
       const sent = new Float64Array(require('node:worker_threads').workerData);
       s.send('late', ${two.port}, '127.0.0.1', () => {
         sent[0] = Date.now();
         setTimeout(() => s.send('later', ${one.port}, '127.0.0.1', () => s.close()), 20);
       });`,
      { eval: true, workerData: sent.buffer },
    );
    const giveUp = Date.now() + 5000;
    while (sent[0] === 0 && Date.now() < giveUp);
    const sentLate = sent[0]!;
    const busyUntil = Date.now() + 400;
    while (Date.now() < busyUntil);
    await until(() => read === 3);
    await sender.terminate();
    expect(batches).toHaveLength(2);
    expect(batches[0]!.waitedMs).toBeLessThan(50);
    // The batch's oldest datagram is the one sent first, whichever port it came to.
    expect(batches[1]!.waitedMs).toBeGreaterThanOrEqual(busyUntil - sentLate - 5);
    expect(batches[1]!.waitedMs).toBeLessThanOrEqual(batches[1]!.at - sentLate + 5);
  });

  it('puts the calling thread, and only it, under SCHED_IDLE and back', async () => {
    const policyOf = (stat: string) => Number(stat.split(') ')[1]!.split(' ')[38]);
    const url = new URL('./udp.ts', import.meta.url).href;
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const { readFileSync } = require('node:fs');
       const policy = () => readFileSync('/proc/thread-self/stat', 'utf8');
       import(${JSON.stringify(url)}).then(({ nativeSchedIdle }) => {
         const schedIdle = nativeSchedIdle();
         const idle = schedIdle(true);
         const idlePolicy = policy();
         parentPort.postMessage({ idle, idlePolicy });
         parentPort.once('message', () => {
           const back = schedIdle(false);
           parentPort.postMessage({ back, backPolicy: policy() });
         });
       });`,
      { eval: true },
    );
    const [first] = (await once(worker, 'message')) as [{ idle: number; idlePolicy: string }];
    expect(first.idle).toBe(0);
    const SCHED_IDLE = 5;
    expect(policyOf(first.idlePolicy)).toBe(SCHED_IDLE);
    expect(policyOf(readFileSync('/proc/thread-self/stat', 'utf8'))).toBe(0);
    worker.postMessage('back');
    const [second] = (await once(worker, 'message')) as [{ back: number; backPolicy: string }];
    await worker.terminate();
    // Leaving SCHED_IDLE takes CAP_SYS_NICE (root has it) or a high enough RLIMIT_NICE.
    if (process.getuid?.() === 0) {
      expect(second.back).toBe(0);
      expect(policyOf(second.backPolicy)).toBe(0);
    } else expect([0, 1]).toContain(second.back);
    expect(() => (nativeSchedIdle() as unknown as (on: unknown) => number)('yes')).toThrow(
      /boolean/,
    );
  });

  it('a target must be an IPv4 address and a port', () => {
    expect(udpTarget('127.0.0.1', 4000).ipv4).toBe(0x7f000001);
    expect(udpTarget('255.255.255.255', 1).ipv4).toBe(0xffffffff);
    for (const ip of ['::1', '1.2.3', '1.2.3.256', '01.2.3.4x', ''])
      expect(() => udpTarget(ip, 4000)).toThrow(/IPv4/);
    expect(() => udpTarget('1.2.3.4', 0)).toThrow(/port/);
  });
});
