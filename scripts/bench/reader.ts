// The media threads' UDP readers on their own: what reading one datagram costs (CPU of the
// reading thread, in all and in the kernel), how often the thread wakes for them, and what
// reaches JavaScript, for node:dgram and the native udpmux. The reader is this process's
// main thread, pinned to core 0, doing nothing with what it reads; the RTP sender (the
// SBC) runs pinned to core 1 in a process of its own.
//
//   npm run bench -- reader [--sockets 400,1600] [--runs 3] [--seconds 5]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { udpBinder, type UdpBinder } from '@earshot/server/ingest/udp';
import { runLoad } from './proc.ts';
import { median } from './server.ts';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '400,1600' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
  },
});
const steps = values.sockets.split(',').map(Number);
const runs = Number(values.runs);
const seconds = Number(values.seconds);
if (
  !steps.every((n) => Number.isInteger(n) && n >= 1 && n <= 4000) ||
  !(runs >= 1) ||
  !(seconds >= 2)
) {
  console.error(
    'usage: bench reader [--sockets 400,1600 (at most 4000)] [--runs N] [--seconds S>=2]',
  );
  process.exit(2);
}

const READER_CPU = 0;
const LOAD_CPU = 1;
const READERS = ['dgram', 'udpmux'] as const;
// The reader is this process: every thread of it on its core.
execFileSync('taskset', ['-a', '-p', '-c', String(READER_CPU), String(process.pid)], {
  stdio: 'ignore',
});

/** This thread's CPU seconds (all, kernel) and voluntary context switches (its sleeps). */
function thread(): { cpu: number; system: number; sleeps: number } {
  const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
  const status = readFileSync('/proc/thread-self/status', 'utf8');
  return {
    cpu: (Number(fields[11]) + Number(fields[12])) / 100,
    system: Number(fields[12]) / 100,
    sleeps: Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]),
  };
}

interface RunResult {
  usPerDatagram: number;
  systemUsPerDatagram: number;
  wakesPerSecond: number;
  datagramsPerSecond: number;
  receivedPct: number;
}

async function runOnce(reader: UdpBinder['kind'], sockets: number): Promise<RunResult> {
  const binder = udpBinder(reader);
  const files = mkdtempSync(join(tmpdir(), 'earshot-bench-reader-'));
  try {
    const ports = [];
    for (let port = 30000; ports.length < sockets && port < 60000; port++) {
      const bound = await binder.bind('127.0.0.1', port, 1 << 20);
      if (bound) ports.push(bound);
    }
    if (ports.length < sockets) throw new Error(`only ${ports.length} free ports`);
    let received = 0;
    for (const p of ports) p.receive(() => (received += 1));
    const targets = join(files, 'targets.json');
    writeFileSync(targets, JSON.stringify(ports.map((p) => ({ ip: '127.0.0.1', port: p.port }))));
    // NOTE: the first second (the sender starting) and the last (its end) are not timed.
    const sender = runLoad<{ sent: number; elapsed: number }>(
      'rtp-sender',
      ['--targets', targets, '--seconds', String(seconds + 2)],
      LOAD_CPU,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const t0 = thread();
    const r0 = received;
    const at0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const t1 = thread();
    const read = received - r0;
    const elapsed = (performance.now() - at0) / 1000;
    const { sent } = await sender;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return {
      usPerDatagram: ((t1.cpu - t0.cpu) * 1e6) / read,
      systemUsPerDatagram: ((t1.system - t0.system) * 1e6) / read,
      wakesPerSecond: (t1.sleeps - t0.sleeps) / elapsed,
      datagramsPerSecond: read / elapsed,
      receivedPct: (100 * received) / (sent || 1),
    };
  } finally {
    binder.close();
    rmSync(files, { recursive: true, force: true });
  }
}

const rows: ({ reader: string; sockets: number } & RunResult)[] = [];
for (const sockets of steps) {
  for (const reader of READERS) {
    const results: RunResult[] = [];
    for (let r = 0; r < runs; r++) {
      const result = await runOnce(reader, sockets);
      results.push(result);
      console.error(
        `    ${reader}, ${sockets} sockets, run ${r + 1}: ${result.usPerDatagram.toFixed(2)} µs/datagram, ` +
          `${result.wakesPerSecond.toFixed(0)} wake-ups/s, received ${result.receivedPct.toFixed(2)}%`,
      );
    }
    const med = (key: keyof RunResult) => median(results.map((x) => x[key]));
    rows.push({
      reader,
      sockets,
      usPerDatagram: med('usPerDatagram'),
      systemUsPerDatagram: med('systemUsPerDatagram'),
      wakesPerSecond: med('wakesPerSecond'),
      datagramsPerSecond: med('datagramsPerSecond'),
      receivedPct: med('receivedPct'),
    });
  }
}
console.log(
  `\nUDP readers (median of ${runs} runs of ${seconds} s; 172-byte RTP, 50 datagrams/s per socket; ` +
    `the reader pinned to core ${READER_CPU}, the sender to core ${LOAD_CPU} in its own process)\n`,
);
console.log(
  '| reader | sockets | datagrams/s read | CPU µs/datagram (in the kernel) | wake-ups/s | received % |',
);
console.log('|:---|---:|---:|---:|---:|---:|');
for (const r of rows)
  console.log(
    `| ${r.reader} | ${r.sockets} | ${r.datagramsPerSecond.toFixed(0)} | ${r.usPerDatagram.toFixed(2)} (${r.systemUsPerDatagram.toFixed(2)}) | ${r.wakesPerSecond.toFixed(0)} | ${r.receivedPct.toFixed(2)} |`,
  );
