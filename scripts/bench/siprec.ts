// SIPREC call set-up benchmark: INVITE to 200 OK at a steady rate of new recording
// sessions (each held a few seconds, then ended with BYE). The server runs pinned to one
// core (with its mediasoup worker); the SBC side is a process of its own pinned to the
// other, so the load generator never measures itself.
//
//   npm run bench -- siprec [--rates 10,25,50] [--runs 3] [--seconds 10] [--hold 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD, freePort, signInAt, spawnServer, TEST_ORG } from '@earshot/server/testing';
import { SipTestClient } from '@earshot/server/testing/sip';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '10,25,50' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    hold: { type: 'string', default: '3' },
    // Internal: this process is the load generator.
    generate: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const hold = Number(values.hold);

interface Result {
  sent: number;
  ok: number;
  failed: number;
  latencies: number[];
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);

/** The generator: `rate` INVITEs a second for `seconds`, each ended by BYE after `hold`. */
async function generate(target: { host: string; port: number }, rate: number): Promise<Result> {
  const result: Result = { sent: 0, ok: 0, failed: 0, latencies: [] };
  const clients = await Promise.all(
    Array.from({ length: 4 }, () => SipTestClient.open('udp', target)),
  );
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const wait = start + (n * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const client = clients[n % clients.length]!;
    result.sent++;
    pending.push(
      (async () => {
        const sentAt = performance.now();
        try {
          const { response, dialog } = await client.invite('cisco-siprec-offer.txt');
          if (response.status !== 200) {
            result.failed++;
            return;
          }
          result.ok++;
          result.latencies.push(performance.now() - sentAt);
          await new Promise((resolve) => setTimeout(resolve, hold * 1000));
          await client.inDialog('BYE', dialog);
        } catch {
          result.failed++;
        }
      })(),
    );
  }
  await Promise.all(pending);
  for (const c of clients) c.close();
  return result;
}

async function runOnce(rate: number): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'earshot-bench-siprec-'));
  const sipPort = await freePort();
  const { url, child } = await spawnServer(
    {
      EARSHOT_DATA_DIR: dataDir,
      EARSHOT_DEMO_USERS: 'on',
      EARSHOT_MEDIASOUP_WORKERS: '1',
      EARSHOT_SIPREC_LISTEN: `udp:127.0.0.1:${sipPort}`,
      EARSHOT_SIPREC_PEERS: '127.0.0.1',
    },
    { cpu: 0 },
  );
  try {
    const admin = await signInAt(url, 'admin', DEMO_PASSWORD);
    const org = {
      ...TEST_ORG,
      agents: TEST_ORG.agents.map((a, i) => (i === 0 ? { ...a, addresses: ['7300'] } : a)),
    };
    const put = await fetch(`${url}/api/v1/org`, {
      method: 'PUT',
      headers: { cookie: admin, origin: url, 'content-type': 'application/json' },
      body: JSON.stringify(org),
    });
    if (!put.ok) throw new Error(`org refused: ${put.status}`);
    const self = fileURLToPath(import.meta.url);
    const generator = spawn(
      'taskset',
      [
        '-c',
        '1',
        process.execPath,
        self,
        '--generate',
        `${sipPort}:${rate}`,
        '--seconds',
        String(seconds),
        '--hold',
        String(hold),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    generator.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => generator.once('exit', resolve));
    if (code !== 0) throw new Error(`the generator failed (${code})`);
    return JSON.parse(out) as Result;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (values.generate) {
  const [port, rate] = values.generate.split(':').map(Number);
  const result = await generate({ host: '127.0.0.1', port: port! }, rate!);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

const rates = values.rates
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const runs = Number(values.runs);
if (!rates.length || !(runs >= 1) || !(seconds >= 2) || !(hold >= 0)) {
  console.error('usage: bench siprec [--rates 10,25] [--runs N>=1] [--seconds S>=2] [--hold S]');
  process.exit(2);
}
console.log(
  `SIPREC set-up: INVITE → 200 OK, server on core 0, SBC on core 1; ${seconds} s per run, calls held ${hold} s; median of ${runs} run(s)\n`,
);
console.log('| new calls/s | concurrent | answered | failed | p50 ms | p95 ms | max ms |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const rate of rates) {
  const results: Result[] = [];
  for (let i = 0; i < runs; i++) results.push(await runOnce(rate));
  const pick = (f: (r: Result) => number) => median(results.map(f)).toFixed(1);
  console.log(
    `| ${rate} | ~${Math.round(rate * hold)} | ${median(results.map((r) => r.ok))}/${median(results.map((r) => r.sent))} | ${median(results.map((r) => r.failed))} | ${pick((r) => quantile(r.latencies, 0.5))} | ${pick((r) => quantile(r.latencies, 0.95))} | ${pick((r) => Math.max(...r.latencies))} |`,
  );
}
