// Ingest capacity benchmark: how many concurrent calls (two PCMU legs each, 50 packets/s
// per leg) one Earshot server holds on one core with no packet lost, every frame recorded
// and levels live, what each packet costs (CPU of every server process: Node with its media
// threads, mediasoup workers), and whether a supervisor's clicks stay as fast as unloaded.
// The server and its workers are pinned to core 0; the RTP sender (the SBC) and the console
// probe (board watcher, GET /calls/:id and listen:start round trips) run pinned to core 1,
// each in a process of its own, so that the load never measures itself.
//
//   npm run bench -- ingest [--calls 200,400,800] [--runs 3] [--seconds 8]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { childPids, cpuSeconds, runLoad } from './proc.ts';
import {
  announceCalls,
  declareBenchOrg,
  median,
  percentile,
  recordedFrames,
  startBenchServer,
} from './server.ts';
import type { Call } from '@earshot/shared';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200,400,800,1000' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
  },
});
const steps = values.calls
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const runs = Number(values.runs);
const seconds = Number(values.seconds);
if (!steps.length || !(runs >= 1) || !(seconds >= 2)) {
  console.error('usage: bench ingest [--calls 50,100,200] [--runs N>=1] [--seconds S>=2]');
  process.exit(2);
}

const SERVER_CPU = 0;
const LOAD_CPU = 1;

const server = await startBenchServer(
  'ingest',
  'bench-ingest-token-0123456789',
  {
    // NOTE: the bench announces hundreds of calls at once, past the production defaults.
    EARSHOT_INGEST_CALLS_PER_SECOND: '10000',
    EARSHOT_MAX_CALLS: '100000',
    // NOTE: each run ends its calls and the next starts at once: their ports must be free.
    EARSHOT_RTP_QUARANTINE_MS: '2000',
  },
  { cpu: SERVER_CPU },
);
const { url, child, dataDir, api, exec } = server;

/** A row: the median of its runs, and its round trips' p95 over every run's. */
interface Row extends Omit<RunResult, 'rest' | 'restIdle' | 'listen' | 'listenIdle'> {
  restP95: number;
  restP95Idle: number;
  listenP95: number;
  listenP95Idle: number;
  /** Round trips behind each p95 (GET, listen:start; per load and unloaded alike). */
  samples: [number, number];
}

const p95 = (samples: number[]) => percentile(samples, 95);

interface Probe {
  boardPerSecond: number;
  maxGapMs: number;
  levelsOk: boolean;
  rest: number[];
  listen: number[];
  loopP99: number;
  failures: string[];
}

interface RunResult {
  calls: number;
  sentPerSecond: number;
  lostPct: number;
  /** CPU of every server process (Node and its threads, mediasoup workers) per packet. */
  usPerPacket: number;
  /** The same, less what the console probe costs with no media. */
  mediaUsPerPacket: number;
  serverCpuPct: number;
  workersCpuPct: number;
  /** Share of the sent 20 ms frames whose audio is in the finished recordings. */
  recordedPct: number;
  levelsOk: boolean;
  boardPerSecond: number;
  boardMaxGapMs: number;
  /** Round trips (ms) under load and unloaded: a row takes its p95 over every run's. */
  rest: number[];
  restIdle: number[];
  listen: number[];
  listenIdle: number[];
  /** How late the probe's own event loop ran (p99, ms): what the round trips carry of the probe. */
  probeLoopP99: number;
  probeLoopP99Idle: number;
}

async function runOnce(calls: number): Promise<RunResult> {
  const serverPid = child.pid!;
  const created = await announceCalls(server, calls);
  const files = mkdtempSync(join(tmpdir(), 'earshot-bench-load-'));
  const targetsFile = join(files, 'targets.json');
  const callsFile = join(files, 'calls.json');
  writeFileSync(
    targetsFile,
    JSON.stringify(created.flatMap((c) => [c.legs.agent, c.legs.customer])),
  );
  writeFileSync(callsFile, JSON.stringify(created.map((c) => c.callId)));
  const probeArgs = [
    '--url',
    url,
    '--cookie',
    exec,
    '--calls',
    callsFile,
    '--seconds',
    String(seconds),
  ];

  // Unloaded: the same calls, no media.
  const workers = childPids(serverPid);
  const idle0 = cpuSeconds([serverPid, ...workers]);
  const i0 = Date.now();
  const idle = await runLoad<Probe>('probe', probeArgs, LOAD_CPU);
  const idleCpuPerSecond =
    (cpuSeconds([serverPid, ...workers]) - idle0) / ((Date.now() - i0) / 1000);

  const cpu0 = { server: cpuSeconds([serverPid]), workers: cpuSeconds(workers) };
  const t0 = Date.now();
  const [sender, loaded] = await Promise.all([
    runLoad<{ sent: number; elapsed: number; late: number }>(
      'rtp-sender',
      ['--targets', targetsFile, '--seconds', String(seconds)],
      LOAD_CPU,
      // NOTE: the SBC yields its core to the console probe at once (SCHED_IDLE), so that a
      // round trip times the server, not the wait behind the sender on the load core.
      { idle: true },
    ),
    runLoad<Probe>('probe', probeArgs, LOAD_CPU),
  ]);
  const elapsed = (Date.now() - t0) / 1000;
  const cpu1 = { server: cpuSeconds([serverPid]), workers: cpuSeconds(workers) };
  await new Promise((resolve) => setTimeout(resolve, 500));

  const { calls: live } = await api<{ calls: Call[] }>('GET', '/api/v1/calls', undefined, 'exec');
  const received = live.reduce((sum, c) => sum + c.legs.agent.packets + c.legs.customer.packets, 0);
  for (const c of created) await api('DELETE', `/api/v1/calls/${c.callId}`);
  // The recordings are finished when DELETE answers: count the audio they hold.
  let framesRecorded = 0;
  for (const c of created)
    framesRecorded += recordedFrames(
      readFileSync(join(dataDir, 'recordings', c.callId, 'recording.wav')),
    );
  rmSync(files, { recursive: true, force: true });
  const cpu = cpu1.server - cpu0.server + (cpu1.workers - cpu0.workers);
  // The console probe's own cost (the same requests with no media) is not the media's.
  const mediaCpu = cpu - idleCpuPerSecond * elapsed;
  for (const failure of [...idle.failures, ...loaded.failures]) console.error(`  ${failure}`);
  return {
    calls,
    sentPerSecond: sender.sent / sender.elapsed,
    lostPct: (100 * (sender.sent - received)) / sender.sent,
    usPerPacket: (cpu * 1e6) / received,
    mediaUsPerPacket: (mediaCpu * 1e6) / received,
    serverCpuPct: (100 * (cpu1.server - cpu0.server)) / elapsed,
    workersCpuPct: (100 * (cpu1.workers - cpu0.workers)) / elapsed,
    recordedPct: Math.min(100, (100 * framesRecorded) / sender.sent),
    levelsOk: loaded.levelsOk,
    boardPerSecond: loaded.boardPerSecond,
    boardMaxGapMs: loaded.maxGapMs,
    rest: loaded.rest,
    restIdle: idle.rest,
    listen: loaded.listen,
    listenIdle: idle.listen,
    probeLoopP99: loaded.loopP99,
    probeLoopP99Idle: idle.loopP99,
  };
}

try {
  await declareBenchOrg(server);
  const rows: Row[] = [];
  for (const calls of steps) {
    const results: RunResult[] = [];
    for (let r = 0; r < runs; r++) {
      const result = await runOnce(calls);
      results.push(result);
      console.error(
        `    run ${r + 1}: ${result.usPerPacket.toFixed(1)} µs/packet, lost ${result.lostPct.toFixed(3)}%, board ${result.boardPerSecond.toFixed(1)}/s, ` +
          `GET p95 ${p95(result.rest).toFixed(1)} (${p95(result.restIdle).toFixed(1)}) ms, ` +
          `listen:start p95 ${p95(result.listen).toFixed(1)} (${p95(result.listenIdle).toFixed(1)}) ms`,
      );
    }
    const med = (key: keyof RunResult) => median(results.map((x) => Number(x[key])));
    const all = (key: 'rest' | 'restIdle' | 'listen' | 'listenIdle') =>
      results.flatMap((x) => x[key]);
    const row: Row = {
      calls,
      sentPerSecond: med('sentPerSecond'),
      lostPct: med('lostPct'),
      usPerPacket: med('usPerPacket'),
      mediaUsPerPacket: med('mediaUsPerPacket'),
      serverCpuPct: med('serverCpuPct'),
      workersCpuPct: med('workersCpuPct'),
      recordedPct: med('recordedPct'),
      levelsOk: results.filter((x) => x.levelsOk).length > runs / 2,
      boardPerSecond: med('boardPerSecond'),
      boardMaxGapMs: med('boardMaxGapMs'),
      // NOTE: one run times about 110 GETs and 25 listen:starts; a p95 of 25 is their second
      // slowest, so a row's p95 is taken over every run's round trips, not as a median.
      restP95: p95(all('rest')),
      restP95Idle: p95(all('restIdle')),
      listenP95: p95(all('listen')),
      listenP95Idle: p95(all('listenIdle')),
      samples: [
        Math.min(all('rest').length, all('restIdle').length),
        Math.min(all('listen').length, all('listenIdle').length),
      ],
      probeLoopP99: med('probeLoopP99'),
      probeLoopP99Idle: med('probeLoopP99Idle'),
    };
    rows.push(row);
    console.error(
      `  ${calls} calls: ${row.usPerPacket.toFixed(1)} µs/packet (${row.mediaUsPerPacket.toFixed(1)} less the probe), lost ${row.lostPct.toFixed(3)}%, levels ${row.levelsOk ? 'ok' : 'MISSING'}`,
    );
  }
  console.log(
    `\nIngest capacity (median of ${runs} runs of ${seconds} s, round trips' p95 over all runs' round trips; ` +
      `PCMU, 2 legs x 50 packets/s per call; server and its workers pinned to core ${SERVER_CPU}, ` +
      `sender and console probe to core ${LOAD_CPU}, each in its own process)\n`,
  );
  console.log(
    '| calls | packets/s sent | lost % | CPU µs/packet, all server processes (less the probe alone) | Node CPU % | mediasoup CPU % | recorded % | levels live | board updates/s | board max gap ms | GET /calls/:id p95 ms (unloaded) | listen:start p95 ms (unloaded) | p95 loaded / unloaded (GET, listen:start) | round trips timed (GET, listen:start) | probe event loop late p99 ms (unloaded) |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.calls} | ${r.sentPerSecond.toFixed(0)} | ${r.lostPct.toFixed(3)} | ${r.usPerPacket.toFixed(1)} (${r.mediaUsPerPacket.toFixed(1)}) | ${r.serverCpuPct.toFixed(0)} | ${r.workersCpuPct.toFixed(0)} | ${r.recordedPct.toFixed(2)} | ${r.levelsOk ? 'yes' : 'no'} | ${r.boardPerSecond.toFixed(1)} | ${r.boardMaxGapMs.toFixed(0)} | ${r.restP95.toFixed(1)} (${r.restP95Idle.toFixed(1)}) | ${r.listenP95.toFixed(1)} (${r.listenP95Idle.toFixed(1)}) | ${(r.restP95 / r.restP95Idle).toFixed(2)}, ${(r.listenP95 / r.listenP95Idle).toFixed(2)} | ${r.samples[0]}, ${r.samples[1]} | ${r.probeLoopP99.toFixed(1)} (${r.probeLoopP99Idle.toFixed(1)}) |`,
    );
  }
  const held = rows
    .filter((r) => r.lostPct <= 0 && r.levelsOk && r.recordedPct >= 99.9)
    .map((r) => r.calls);
  console.log(
    `\nHeld on one core with no loss, levels live and every frame recorded: ${held.length ? Math.max(...held) : 0} calls (of those tried).`,
  );
} finally {
  await server.close();
}
