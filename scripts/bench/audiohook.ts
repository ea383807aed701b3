// AudioHook capacity benchmark: how many concurrent Genesys AudioHook sessions (stereo
// PCMU, 100 ms frames) one Earshot server holds on one core with no audio lost and every
// frame recorded, and what a session costs (CPU of every server process). The server is
// pinned to core 0; the AudioHook client (Genesys) runs pinned to core 1 in a process of
// its own.
//
//   npm run bench -- audiohook [--sessions 100,200,400] [--runs 3] [--seconds 8]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Call } from '@earshot/shared';
import { childPids, cpuSeconds, runLoad } from './proc.ts';
import { declareBenchOrg, median, recordedFrames, startBenchServer } from './server.ts';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '200,400,800,1200' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
  },
});
const steps = values.sessions
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const runs = Number(values.runs);
const seconds = Number(values.seconds);
if (!steps.length || !(runs >= 1) || !(seconds >= 2)) {
  console.error('usage: bench audiohook [--sessions 100,200] [--runs N>=1] [--seconds S>=2]');
  process.exit(2);
}

const SERVER_CPU = 0;
const LOAD_CPU = 1;
const API_KEY = 'bench-audiohook-api-key-0123456789';
const SECRET = Buffer.from('bench-audiohook-client-secret-0123456789').toString('base64');

const server = await startBenchServer(
  'audiohook',
  'bench-audiohook-token-0123456789',
  {
    EARSHOT_AUDIOHOOK_API_KEY: API_KEY,
    EARSHOT_AUDIOHOOK_CLIENT_SECRET: SECRET,
    EARSHOT_MAX_CALLS: '100000',
    EARSHOT_RTP_QUARANTINE_MS: '2000',
  },
  { cpu: SERVER_CPU },
);

interface Sent {
  sessions: number;
  frames: number;
  samplesPerLeg: number;
  elapsed: number;
  late: number;
  conversations: string[];
}

interface RunResult {
  sessions: number;
  lostPct: number;
  recordedPct: number;
  cpuPct: number;
  /** CPU of every server process per session, in % of a core. */
  pctPerSession: number;
  usPerFrame: number;
  late: number;
}

async function runOnce(sessions: number): Promise<RunResult> {
  const pids = [server.child.pid!, ...childPids(server.child.pid!)];
  const ids = new Map<string, string>();
  let c0 = 0;
  let t0 = 0;
  // The calls' ids, and the CPU from when every session streams.
  const watch = setInterval(() => {
    void server
      .api<{ calls: Call[] }>('GET', '/api/v1/calls', undefined, 'exec')
      .then(({ calls }) => {
        for (const call of calls) if (call.externalId) ids.set(call.externalId, call.id);
        if (t0 === 0 && calls.length >= sessions) {
          c0 = cpuSeconds(pids);
          t0 = Date.now();
        }
      });
  }, 200);
  const sent = await runLoad<Sent>(
    'audiohook-sender',
    [
      '--url',
      `${server.url.replace('http', 'ws')}/api/v1/ingest/audiohook`,
      '--key',
      API_KEY,
      '--secret',
      SECRET,
      '--sessions',
      String(sessions),
      '--seconds',
      String(seconds),
    ],
    LOAD_CPU,
  );
  clearInterval(watch);
  const cpu = cpuSeconds(pids) - c0;
  const elapsed = (Date.now() - t0) / 1000;
  let received = 0;
  let frames = 0;
  for (const conversation of sent.conversations) {
    const id = ids.get(conversation);
    if (!id) continue;
    const file = join(server.dataDir, 'recordings', id, 'recording.wav');
    // A clean close ends the call at once; its recording is finished a moment later.
    let call: Call | undefined;
    for (let wait = 0; wait < 100; wait++) {
      call = await server.api<Call>('GET', `/api/v1/calls/${id}`, undefined, 'exec');
      if (call.state === 'ended' && existsSync(file)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    received += call!.legs.agent.packets + call!.legs.customer.packets;
    frames += recordedFrames(readFileSync(file));
  }
  const expected = (sent.samplesPerLeg / 160) * 2;
  return {
    sessions: sent.sessions,
    lostPct: (100 * (expected - received)) / expected,
    recordedPct: Math.min(100, (100 * frames) / expected),
    cpuPct: (100 * cpu) / elapsed,
    pctPerSession: (100 * cpu) / elapsed / sessions,
    usPerFrame: (cpu * 1e6) / sent.frames,
    late: sent.late,
  };
}

try {
  await declareBenchOrg(server, ['bench-agent']);
  const rows: RunResult[] = [];
  for (const sessions of steps) {
    const results: RunResult[] = [];
    for (let r = 0; r < runs; r++) {
      const result = await runOnce(sessions);
      results.push(result);
      console.error(
        `    run ${r + 1}: ${result.cpuPct.toFixed(0)} % CPU, lost ${result.lostPct.toFixed(3)}%, recorded ${result.recordedPct.toFixed(2)}%`,
      );
      await new Promise((resolve) => setTimeout(resolve, 2500));
    }
    const med = (key: keyof RunResult) => median(results.map((x) => Number(x[key])));
    rows.push({
      sessions,
      lostPct: med('lostPct'),
      recordedPct: med('recordedPct'),
      cpuPct: med('cpuPct'),
      pctPerSession: med('pctPerSession'),
      usPerFrame: med('usPerFrame'),
      late: med('late'),
    });
  }
  console.log(
    `\nAudioHook capacity (median of ${runs} runs of ${seconds} s; stereo PCMU in 100 ms frames, pings every 5 s; ` +
      `server pinned to core ${SERVER_CPU}, the Genesys client to core ${LOAD_CPU} in its own process)\n`,
  );
  console.log(
    '| sessions | lost % | recorded % | server CPU % | CPU per session, % of a core | CPU µs per 100 ms frame | client frames late |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.sessions} | ${r.lostPct.toFixed(3)} | ${r.recordedPct.toFixed(2)} | ${r.cpuPct.toFixed(0)} | ${r.pctPerSession.toFixed(3)} | ${r.usPerFrame.toFixed(0)} | ${r.late} |`,
    );
  // NOTE: a step whose client ran late did not deliver its load: it shows the load core's
  // limit, not the server's, and does not count as held.
  const held = rows
    .filter((r) => r.lostPct <= 0 && r.recordedPct >= 99.9 && r.cpuPct < 95 && r.late === 0)
    .map((r) => r.sessions);
  console.log(
    `\nHeld on one core with no audio lost, every frame recorded and the client on time: ${held.length ? Math.max(...held) : 0} sessions (of those tried).`,
  );
} finally {
  await server.close();
}
