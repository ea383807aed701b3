// Ingest capacity benchmark: how many concurrent calls (two PCMU legs each, 50 packets/s
// per leg) one Earshot server holds on this machine with no packet lost and levels still
// published, and the CPU that costs. The server runs as its own process (with its
// mediasoup workers); this process is the SBC sending real RTP on loopback.
//
//   npm run bench -- ingest [--calls 50,100,200] [--runs 3] [--seconds 8]
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { childPids } from './proc.ts';
import { buildRtp, linearToUlaw, type BoardUpdate, type Call } from '@earshot/shared';
import { DEMO_PASSWORD, signInAt, spawnServer } from '@earshot/server/testing';
import { io } from 'socket.io-client';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '50,100,200,300,400,500' },
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

const TOKEN = 'bench-ingest-token-0123456789';
const CLK_TCK = 100;

/** CPU seconds used so far by a process and its children that are still alive. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process is gone
    }
  }
  return ticks / CLK_TCK;
}

async function startServer(): Promise<{ url: string; child: ChildProcess; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'earshot-bench-'));
  const { url, child } = await spawnServer({
    EARSHOT_DATA_DIR: dataDir,
    EARSHOT_INGEST_TOKEN: TOKEN,
    EARSHOT_DEMO_USERS: 'on',
    // NOTE: the bench announces hundreds of calls at once, past the production defaults.
    EARSHOT_INGEST_CALLS_PER_SECOND: '10000',
    EARSHOT_MAX_CALLS: '100000',
  });
  return { url, child, dataDir };
}

/** Session cookies of the demo admin (declares the org) and executive (watches the board). */
const sessions = { admin: '', exec: '' };

async function api<T>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  as: keyof typeof sessions = 'admin',
): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      cookie: sessions[as],
      origin: url,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const TONE = Array.from({ length: 8 }, (_, f) =>
  Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(8000 * Math.sin((2 * Math.PI * 440 * (f * 160 + i)) / 8000)),
  ),
);

interface RunResult {
  calls: number;
  sent: number;
  /** Packets per second the sender achieved (the target is calls x 100). */
  sentPerSecond: number;
  received: number;
  lostPct: number;
  levelsOk: boolean;
  updatesPerSecond: number;
  serverCpuPct: number;
  workersCpuPct: number;
  /** Share of the sent 20 ms frames whose audio is in the finished recordings. */
  recordedPct: number;
  /** Disk bytes of the finished recordings per hour of call. */
  bytesPerCallHour: number;
}

/** Counts the 20 ms blocks of each channel that carry audio (not G.711 silence). */
function recordedFrames(wav: Buffer): number {
  const data = wav.subarray(44);
  let frames = 0;
  for (const channel of [0, 1]) {
    for (let block = 0; block * 320 < data.length; block++) {
      let audible = 0;
      for (let i = 0; i < 160 && (block * 160 + i) * 2 + channel < data.length; i++) {
        const byte = data[(block * 160 + i) * 2 + channel]!;
        if (byte !== 0xff && byte !== 0x7f) audible++;
      }
      if (audible >= 80) frames++;
    }
  }
  return frames;
}

async function runOnce(
  url: string,
  serverPid: number,
  dataDir: string,
  calls: number,
): Promise<RunResult> {
  const created: {
    callId: string;
    legs: Record<'agent' | 'customer', { ip: string; port: number }>;
  }[] = [];
  for (let i = 0; i < calls; i++) {
    created.push(
      await api(url, 'POST', '/api/v1/calls', {
        center: 'bench-center',
        region: 'bench-region',
        team: 'bench-team',
        agent: { id: `agent-${i}`, name: `Agent ${i}` },
        customer: {},
        codec: 'PCMU',
      }),
    );
  }
  const socket = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const board = io(url, { transports: ['websocket'], extraHeaders: { cookie: sessions.exec } });
  const updates: { at: number; update: BoardUpdate }[] = [];
  board.on('board:update', (update) => updates.push({ at: Date.now(), update }));
  await new Promise((resolve) => board.emit('board:subscribe', {}, resolve));

  const frames = seconds * 50;
  const workers = childPids(serverPid);
  const start = Date.now();
  const cpu0 = { server: cpuSeconds([serverPid]), workers: cpuSeconds(workers) };
  let sent = 0;
  for (let n = 0; n < frames; n++) {
    const wait = start + n * 20 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (const [i, call] of created.entries()) {
      for (const leg of ['agent', 'customer'] as const) {
        const packet = buildRtp(
          { payloadType: 0, sequenceNumber: n, timestamp: n * 160, ssrc: i + 1 },
          TONE[n % 8]!,
        );
        socket.send(packet, call.legs[leg].port, call.legs[leg].ip);
        sent++;
      }
    }
  }
  const elapsed = (Date.now() - start) / 1000;
  const cpu1 = { server: cpuSeconds([serverPid]), workers: cpuSeconds(workers) };
  await new Promise((resolve) => setTimeout(resolve, 500));

  const { calls: live } = await api<{ calls: Call[] }>(
    url,
    'GET',
    '/api/v1/calls',
    undefined,
    'exec',
  );
  const received = live.reduce((sum, c) => sum + c.legs.agent.packets + c.legs.customer.packets, 0);
  // Levels: in the steady second before the end, every call had a level reading above 0.
  const window = updates.filter(
    (u) => u.at > start + (elapsed - 2) * 1000 && u.at <= start + elapsed * 1000,
  );
  const levelsOk =
    window.length > 0 &&
    created.every((c) =>
      window.some(
        (u) =>
          (u.update.levels[c.callId]?.[0] ?? 0) > 0.5 &&
          (u.update.levels[c.callId]?.[1] ?? 0) > 0.5,
      ),
    );
  const steady = updates.filter((u) => u.at > start + 1000 && u.at <= start + elapsed * 1000);
  board.close();
  socket.close();
  for (const c of created) await api(url, 'DELETE', `/api/v1/calls/${c.callId}`);
  // The recordings are finished when DELETE answers: count the audio they hold.
  let framesRecorded = 0;
  let wavBytes = 0;
  let recordedSeconds = 0;
  for (const c of created) {
    const wav = readFileSync(join(dataDir, 'recordings', c.callId, 'recording.wav'));
    framesRecorded += recordedFrames(wav);
    wavBytes += wav.length;
    recordedSeconds += (wav.length - 44) / 2 / 8000;
  }
  return {
    recordedPct: Math.min(100, (100 * framesRecorded) / sent),
    bytesPerCallHour: (wavBytes / recordedSeconds) * 3600,
    calls,
    sent,
    received,
    lostPct: (100 * (sent - received)) / sent,
    levelsOk,
    updatesPerSecond: steady.length / (elapsed - 1),
    sentPerSecond: sent / elapsed,
    serverCpuPct: (100 * (cpu1.server - cpu0.server)) / elapsed,
    workersCpuPct: (100 * (cpu1.workers - cpu0.workers)) / elapsed,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { url, child, dataDir } = await startServer();
try {
  sessions.admin = await signInAt(url, 'admin', DEMO_PASSWORD);
  sessions.exec = await signInAt(url, 'exec', DEMO_PASSWORD);
  await api(url, 'PUT', '/api/v1/org', {
    regions: [{ id: 'bench-region', name: 'Bench' }],
    centers: [
      { id: 'bench-center', name: 'Bench', regionId: 'bench-region', timeZone: 'America/Chicago' },
    ],
    teams: [
      {
        id: 'bench-team',
        name: 'Bench',
        centerId: 'bench-center',
        specialty: false,
        hours: { kind: 'always' },
      },
    ],
    agents: [],
  });
  const rows: RunResult[] = [];
  for (const calls of steps) {
    const results: RunResult[] = [];
    for (let r = 0; r < runs; r++) results.push(await runOnce(url, child.pid!, dataDir, calls));
    const row: RunResult = {
      calls,
      sent: median(results.map((x) => x.sent)),
      sentPerSecond: median(results.map((x) => x.sentPerSecond)),
      received: median(results.map((x) => x.received)),
      lostPct: median(results.map((x) => x.lostPct)),
      levelsOk: results.filter((x) => x.levelsOk).length > runs / 2,
      updatesPerSecond: median(results.map((x) => x.updatesPerSecond)),
      serverCpuPct: median(results.map((x) => x.serverCpuPct)),
      workersCpuPct: median(results.map((x) => x.workersCpuPct)),
      recordedPct: median(results.map((x) => x.recordedPct)),
      bytesPerCallHour: median(results.map((x) => x.bytesPerCallHour)),
    };
    rows.push(row);
    console.error(
      `  ${calls} calls: lost ${row.lostPct.toFixed(3)}%, levels ${row.levelsOk ? 'ok' : 'MISSING'}`,
    );
  }
  console.log(
    `\nIngest capacity (median of ${runs} runs of ${seconds} s; PCMU, 2 legs x 50 packets/s per call)\n`,
  );
  console.log(
    '| calls | packets/s target | packets/s sent | lost % | levels published | board updates/s | server CPU % | workers CPU % | recorded % | recording MB per call-hour |',
  );
  console.log(
    '|------:|-----------------:|---------------:|-------:|:----------------:|----------------:|-------------:|--------------:|-----------:|---------------------------:|',
  );
  for (const r of rows) {
    console.log(
      `| ${r.calls} | ${r.calls * 100} | ${r.sentPerSecond.toFixed(0)} | ${r.lostPct.toFixed(3)} | ${r.levelsOk ? 'yes' : 'no'} | ${r.updatesPerSecond.toFixed(1)} | ${r.serverCpuPct.toFixed(0)} | ${r.workersCpuPct.toFixed(0)} | ${r.recordedPct.toFixed(2)} | ${(r.bytesPerCallHour / 1e6).toFixed(1)} |`,
    );
  }
  const held = rows
    .filter((r) => r.lostPct === 0 && r.levelsOk && r.recordedPct >= 99.9)
    .map((r) => r.calls);
  console.log(
    `\nHeld with no loss, levels published and every frame recorded: ${held.length ? Math.max(...held) : 0} calls (of those tried).`,
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
