// Soak: a time-scaled mix of calls (announced, streamed, ended), board and KPI consoles
// and contact-center events against one server for a while, sampling its RSS (with its
// mediasoup workers), open file descriptors and event-loop lag. The server runs pinned
// to core 0; the load runs in a process of its own pinned to core 1.
//
//   npm run bench -- soak [--minutes 10] [--calls 40] [--consoles 20] [--sample 15] [--flood 0]
//                        [--settle 60]
//
// --flood N first announces and ends N calls as fast as the server takes them (ten at a
// time, two packets each), the flood of call announcements that memory must survive;
// --settle S keeps sampling for S seconds once the load has ended.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { childPids } from './proc.ts';
import { buildRtp, linearToUlaw } from '@earshot/shared';
import { DEMO_PASSWORD, signInAt, spawnServer, TEST_CALL, TEST_ORG } from '@earshot/server/testing';
import { io } from 'socket.io-client';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    calls: { type: 'string', default: '40' },
    consoles: { type: 'string', default: '20' },
    sample: { type: 'string', default: '15' },
    flood: { type: 'string', default: '0' },
    settle: { type: 'string', default: '60' },
    // Internal: this process is the load (url, token, cookie).
    load: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const calls = Number(values.calls);
const consoles = Number(values.consoles);
const sampleSeconds = Number(values.sample);
const flood = Number(values.flood);
const settleSeconds = Number(values.settle);
const TOKEN = 'bench-soak-token-0123456789';
const METRICS = 'bench-soak-metrics-0123456789';

/** The load: `calls` calls live at all times (each 20-60 s), consoles, events. */
async function load(url: string, cookie: string): Promise<void> {
  const headers = {
    authorization: `Bearer ${TOKEN}`,
    'content-type': 'application/json',
    origin: url,
  };
  const sockets = Array.from({ length: consoles }, (_, i) => {
    const s = io(url, { transports: ['websocket'], extraHeaders: { cookie } });
    s.on('connect', () => {
      s.emit('board:subscribe', {}, () => undefined);
      s.emit(
        'kpi:subscribe',
        { scope: i % 2 ? 'org' : 'team:mpls-care-1', window: '1h' },
        () => undefined,
      );
    });
    return s;
  });
  const udp = createSocket('udp4');
  const frame = Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000)),
  );
  const live = new Map<string, { ports: number[]; seq: number; endsAt: number }>();
  let flooded = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (flooded++ < flood) {
        const res = await fetch(`${url}/api/v1/calls`, {
          method: 'POST',
          headers,
          body: JSON.stringify(TEST_CALL),
        });
        if (res.status === 503 || res.status === 429) {
          // Full (ports in quarantine, or the cap): wait as a well-behaved SBC would.
          refused++;
          flooded--;
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        if (res.status !== 201) throw new Error(`flood: a call was refused (${res.status})`);
        const { callId, legs } = (await res.json()) as {
          callId: string;
          legs: { agent: { port: number } };
        };
        for (let seq = 0; seq < 2; seq++)
          udp.send(
            buildRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 1 }, frame),
            legs.agent.port,
            '127.0.0.1',
          );
        await fetch(`${url}/api/v1/calls/${callId}`, { method: 'DELETE', headers });
      }
    }),
  );
  if (flood)
    console.log(`\nflood: ${flood} calls announced and ended, ${refused} refusals retried\n`);
  const end = Date.now() + minutes * 60_000;
  let eventId = 0;
  const announce = async () => {
    const res = await fetch(`${url}/api/v1/calls`, {
      method: 'POST',
      headers,
      body: JSON.stringify(TEST_CALL),
    });
    if (res.status !== 201) return;
    const body = (await res.json()) as {
      callId: string;
      legs: { agent: { port: number }; customer: { port: number } };
    };
    live.set(body.callId, {
      ports: [body.legs.agent.port, body.legs.customer.port],
      seq: 0,
      endsAt: Date.now() + 20_000 + Math.random() * 40_000,
    });
  };
  let tick = 0;
  while (Date.now() < end) {
    const started = Date.now();
    while (live.size < calls) await announce();
    for (const [id, call] of live) {
      if (Date.now() > call.endsAt) {
        live.delete(id);
        void fetch(`${url}/api/v1/calls/${id}`, { method: 'DELETE', headers });
        continue;
      }
      call.seq++;
      call.ports.forEach((port, leg) =>
        udp.send(
          buildRtp(
            {
              payloadType: 0,
              sequenceNumber: call.seq & 0xffff,
              timestamp: call.seq * 160,
              ssrc: leg + 1,
            },
            frame,
          ),
          port,
          '127.0.0.1',
        ),
      );
    }
    if (++tick % 50 === 0) {
      const at = new Date().toISOString();
      void fetch(`${url}/api/v1/events`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          events: [
            {
              id: `soak-${eventId++}`,
              type: 'call.offered',
              at,
              callId: `acd-${eventId}`,
              team: 'mpls-care-1',
            },
            {
              id: `soak-${eventId++}`,
              type: 'call.answered',
              at,
              callId: `acd-${eventId - 1}`,
              agentId: 'a-olsen',
            },
          ],
        }),
      });
    }
    const wait = 20 - (Date.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  for (const id of live.keys())
    await fetch(`${url}/api/v1/calls/${id}`, { method: 'DELETE', headers });
  for (const s of sockets) s.close();
  udp.close();
}

if (values.load) {
  const [url, cookie] = JSON.parse(values.load) as [string, string];
  await load(url, cookie);
  process.exit(0);
}

const processTree = (pid: number): number[] => [pid, ...childPids(pid).flatMap(processTree)];
const rssMb = (pids: number[]) =>
  pids.reduce((sum, p) => {
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1];
      return sum + Number(kb ?? 0) / 1024;
    } catch {
      return sum;
    }
  }, 0);
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

const dataDir = mkdtempSync(join(tmpdir(), 'earshot-soak-'));
const { url, child } = await spawnServer(
  {
    EARSHOT_DATA_DIR: dataDir,
    EARSHOT_INGEST_TOKEN: TOKEN,
    EARSHOT_METRICS_TOKEN: METRICS,
    EARSHOT_DEMO_USERS: 'on',
    EARSHOT_MEDIASOUP_WORKERS: '1',
    EARSHOT_MAX_SOCKETS_PER_USER: '1000',
    EARSHOT_INGEST_CALLS_PER_SECOND: '10000',
    EARSHOT_RTP_QUARANTINE_MS: '5000',
  },
  { cpu: 0 },
);
const admin = await signInAt(url, 'admin', DEMO_PASSWORD);
await fetch(`${url}/api/v1/org`, {
  method: 'PUT',
  headers: { cookie: admin, origin: url, 'content-type': 'application/json' },
  body: JSON.stringify(TEST_ORG),
});
const exec = await signInAt(url, 'exec', DEMO_PASSWORD);
const lag = async () => {
  const text = await (
    await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } })
  ).text();
  const p99 = /^earshot_process_nodejs_eventloop_lag_p99_seconds ([\d.e-]+)/m.exec(text)?.[1];
  const live = /^earshot_calls_live (\d+)/m.exec(text)?.[1];
  const heap = /^earshot_process_nodejs_heap_size_used_bytes (\d+)/m.exec(text)?.[1];
  return {
    lagMs: Number(p99 ?? NaN) * 1000,
    live: Number(live ?? 0),
    heapMb: Number(heap ?? NaN) / 2 ** 20,
  };
};
const generator = spawn(
  'taskset',
  [
    '-c',
    '1',
    process.execPath,
    fileURLToPath(import.meta.url),
    '--load',
    JSON.stringify([url, exec]),
    '--minutes',
    String(minutes),
    '--calls',
    String(calls),
    '--consoles',
    String(consoles),
    '--flood',
    String(flood),
  ],
  { stdio: 'inherit' },
);
const rows: string[] = [];
const start = Date.now();
const sample = async (label: string) => {
  const { lagMs, live, heapMb } = await lag();
  const row = `| ${label} | ${live} | ${rssMb(processTree(child.pid!)).toFixed(0)} | ${heapMb.toFixed(0)} | ${fds(child.pid!)} | ${lagMs.toFixed(1)} |`;
  rows.push(row);
  console.log(row);
};
console.log(
  `Soak: ${flood ? `a flood of ${flood} calls, then ` : ''}${calls} live calls churning (20-60 s each), ${consoles} consoles, events; ${minutes} min; server on core 0, load on core 1\n`,
);
console.log(
  '| minute | live calls | RSS MB (server + worker) | heap MB | fds | event-loop lag p99 ms |',
);
console.log('|---:|---:|---:|---:|---:|---:|');
await sample('0 (idle)');
const timer = setInterval(
  () => void sample(((Date.now() - start) / 60_000).toFixed(1)),
  sampleSeconds * 1000,
);
await new Promise((resolve) => generator.once('exit', resolve));
clearInterval(timer);
// Ended calls' ports leave quarantine (5 s here) and the heap settles.
for (let after = sampleSeconds; after <= settleSeconds; after += sampleSeconds) {
  await new Promise((resolve) => setTimeout(resolve, sampleSeconds * 1000));
  await sample(`${after} s after the load`);
}
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
rmSync(dataDir, { recursive: true, force: true });
