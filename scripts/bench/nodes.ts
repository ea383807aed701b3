// Several nodes: three Earshot nodes on one private PostgreSQL and one private Redis, calls
// spread over them (media streaming), consoles listening across nodes, and 10,000
// contact-center events a second posted to the nodes in turn. It reports what each node
// holds, event-to-panel latency on the node that took the event and on the others
// (p50/p95), and what joining the nodes costs: Redis' CPU and traffic, the nodes' CPU.
// The nodes and Redis run pinned to core 0; this process, the RTP sender and the event
// poster run on core 1 (PostgreSQL is not pinned: it runs where the OS puts it).
//
//   npm run bench -- nodes [--rate 10000] [--calls 90] [--listeners 30] [--seconds 10] [--runs 3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KpiSnapshot, KpiUpdate, ListenOffer } from '@earshot/shared';
import { databaseFor, startPostgres } from '@earshot/server/testing/postgres';
import { startRedis } from '@earshot/server/testing/redis';
import { io, type Socket } from 'socket.io-client';
import { demoOrg } from '../../server/src/sim/demoOrg.ts';
import { Random } from '../../server/src/sim/random.ts';
import { cpuSeconds, descendantPids, runLoad } from './proc.ts';
import { median, percentile, startBenchServer, type BenchServer } from './server.ts';

const SERVER_CPU = 0;
const LOAD_CPU = 1;
const TOKEN = 'bench-nodes-token-0123456789';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '10000' },
    calls: { type: 'string', default: '90' },
    listeners: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
  },
});
const rate = Number(values.rate);
const callCount = Number(values.calls);
const listenerCount = Number(values.listeners);
const seconds = Number(values.seconds);
const runs = Number(values.runs);
if (
  !(rate >= 100 && rate <= 100_000) ||
  !(callCount >= 3 && callCount <= 1500) ||
  !(listenerCount >= 0 && listenerCount <= 300) ||
  !(seconds >= 3) ||
  !(runs >= 1)
) {
  console.error(
    'usage: bench nodes [--rate 100-100000] [--calls 3-1500] [--listeners 0-300] [--seconds S>=3] [--runs N]',
  );
  process.exit(2);
}
execFileSync('taskset', ['-cp', String(LOAD_CPU), String(process.pid)], { stdio: 'ignore' });

const org = demoOrg(new Random(7));
const team = org.teams[0]!;
const center = org.centers.find((c) => c.id === team.centerId)!;
const agent = org.agents.find((a) => a.teamId === team.id)!;
const probeTeam = org.teams[1]!.id;

const [pg, redis] = await Promise.all([startPostgres(), startRedis({ cpu: SERVER_CPU })]);
const databaseUrl = await databaseFor(mkdtempSync(join(tmpdir(), 'earshot-bench-db-')), pg.url);
const names = ['a', 'b', 'c'];
const nodes: BenchServer[] = [];
const sockets: Socket[] = [];
const files = mkdtempSync(join(tmpdir(), 'earshot-bench-nodes-'));
try {
  // One after another: each makes the demo users (the first one migrates).
  for (const id of names)
    nodes.push(
      await startBenchServer(
        `node-${id}`,
        TOKEN,
        {
          EARSHOT_DATABASE_URL: databaseUrl,
          EARSHOT_REDIS_URL: redis.url,
          EARSHOT_NODE_ID: id,
          EARSHOT_MEDIASOUP_WORKERS: '1',
          EARSHOT_MEDIA_THREADS: '1',
          EARSHOT_MAX_SOCKETS_PER_USER: '1000',
          EARSHOT_INGEST_CALLS_PER_SECOND: '1000',
          EARSHOT_CALL_IDLE_TIMEOUT_MS: '3600000',
        },
        { cpu: SERVER_CPU },
      ),
    );
  await nodes[0]!.api('PUT', '/api/v1/org', org);
  await waitFor(async () => (await nodeList()).length === 3, 'three nodes registered');

  // Calls, announced to the nodes in turn (each lands on the least loaded one).
  const created: {
    callId: string;
    node: string;
    legs: Record<string, { ip: string; port: number }>;
  }[] = [];
  for (let i = 0; i < callCount; i++) {
    const to = nodes[i % nodes.length]!;
    const res = await fetch(`${to.url}/api/v1/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        externalId: `bench-call-${i}`,
        region: center.regionId,
        center: center.id,
        team: team.id,
        agent: { id: agent.id, name: agent.name },
        customer: { number: `+1612555${String(i).padStart(4, '0')}` },
        codec: 'PCMU',
      }),
    });
    if (res.status !== 201) throw new Error(`call refused: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as {
      callId: string;
      legs: Record<string, { ip: string; port: number }>;
    };
    created.push({ ...body, node: res.headers.get('x-earshot-node') ?? names[i % nodes.length]! });
    // The counts travel at the board's cadence: every so often, let them.
    if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const targetsFile = join(files, 'targets.json');
  writeFileSync(
    targetsFile,
    JSON.stringify(created.flatMap((c) => [c.legs.agent, c.legs.customer])),
  );

  // Consoles listening, spread over the nodes, each to a call picked in turn: most calls
  // they hear are another node's (piped).
  for (let i = 0; i < listenerCount; i++) {
    const node = nodes[i % nodes.length]!;
    const socket = await connect(node);
    const res = await ask<{ routerRtpCapabilities: unknown }>(socket, 'media:capabilities', {});
    const offer = await ask<ListenOffer>(socket, 'listen:start', {
      callId: created[(i * 7) % created.length]!.callId,
      rtpCapabilities: res.routerRtpCapabilities,
    });
    if (!offer.consumers.length) throw new Error('a listen offer without consumers');
  }

  // One KPI console per node on the probe team.
  const panels = await Promise.all(
    nodes.map(async (node) => {
      const socket = await connect(node);
      const snapshot = await ask<KpiSnapshot>(socket, 'kpi:subscribe', {
        scope: `team:${probeTeam}`,
        window: '1h',
      });
      return { socket, offered: snapshot.metrics.offered };
    }),
  );

  const serverPids = () => [
    ...nodes.flatMap((n) => [n.child.pid!, ...descendantPids(n.child.pid!)]),
    redis.pid!,
  ];
  const info = async () => {
    const text = await redis.info('stats');
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return {
      commands: field('total_commands_processed'),
      inBytes: field('total_net_input_bytes'),
      outBytes: field('total_net_output_bytes'),
    };
  };

  const results: {
    accepted: number;
    same: number[];
    cross: number[];
    nodeCpu: number[];
    redisCpu: number;
    commands: number;
    inMB: number;
    outMB: number;
  }[] = [];
  let serial = 0;
  for (let r = 0; r < runs; r++) {
    const same: number[] = [];
    const cross: number[] = [];
    // A probe: posted to node `origin` at `sentAt`, seen when a panel's offered reaches `count`.
    const probes: { count: number; origin: number; sentAt: number; seen: Set<number> }[] = [];
    const listeners = panels.map((panel, at) => {
      const onUpdate = (u: KpiUpdate) => {
        if (u.scope !== `team:${probeTeam}` || u.metrics.offered === undefined) return;
        panel.offered = u.metrics.offered;
        for (const probe of probes) {
          if (probe.seen.has(at) || u.metrics.offered < probe.count) continue;
          probe.seen.add(at);
          (probe.origin === at ? same : cross).push(Date.now() - probe.sentAt);
        }
      };
      panel.socket.on('kpi:update', onUpdate);
      return onUpdate;
    });
    let probeCount = Math.max(...panels.map((p) => p.offered));
    const pids = serverPids();
    const cpu0 = pids.map((pid) => cpuSeconds([pid]));
    const stats0 = await info();
    const t0 = Date.now();
    const batchMs = 50;
    const perBatch = Math.round((rate * batchMs) / 1000);
    let accepted = 0;
    const inflight: Promise<unknown>[] = [];
    const media = runLoad<{ sent: number }>(
      'rtp-sender',
      ['--targets', targetsFile, '--seconds', String(seconds)],
      LOAD_CPU,
    );
    for (let b = 0; Date.now() - t0 < seconds * 1000; b++) {
      const wait = t0 + b * batchMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const origin = b % nodes.length;
      const events = [];
      for (let i = 0; i < perBatch; i++) {
        const n = ++serial;
        const t = org.teams[2 + (n % (org.teams.length - 2))]!;
        const at = new Date().toISOString();
        const callId = `bench-acd-${r}-${Math.floor(n / 4)}`;
        const kind = n % 4;
        if (kind === 0)
          events.push({ id: `e${r}-${n}`, type: 'call.offered', at, callId, team: t.id });
        else if (kind === 1)
          events.push({
            id: `e${r}-${n}`,
            type: 'call.answered',
            at,
            callId,
            agentId: `${t.id}-a01`,
          });
        else if (kind === 2) events.push({ id: `e${r}-${n}`, type: 'call.ended', at, callId });
        else events.push({ id: `e${r}-${n}`, type: 'call.wrapup_ended', at, callId });
      }
      // Five probes a second, each on the next node.
      if (b % 4 === 0) {
        probeCount++;
        probes.push({ count: probeCount, origin, sentAt: Date.now(), seen: new Set() });
        events.push({
          id: `probe-${r}-${b}`,
          type: 'call.offered',
          at: new Date().toISOString(),
          callId: `probe-${r}-${b}`,
          team: probeTeam,
        });
      }
      inflight.push(
        nodes[origin]!.api<{ accepted: number }>('POST', '/api/v1/events', { events }).then(
          (res) => (accepted += res.accepted),
        ),
      );
      if (inflight.length > 30) await inflight.shift();
    }
    await Promise.all(inflight);
    // The rate over the time the events were posted (the sender may finish a moment later).
    const elapsed = (Date.now() - t0) / 1000;
    await media;
    const stats1 = await info();
    const cpu = pids.map((pid, i) => (100 * (cpuSeconds([pid]) - cpu0[i]!)) / elapsed);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    panels.forEach((p, i) => p.socket.off('kpi:update', listeners[i]!));
    // CPU per node: its process and its mediasoup worker.
    const perNode = nodes.map((n) => {
      const mine = [n.child.pid!, ...descendantPids(n.child.pid!)];
      return pids.reduce((sum, pid, i) => (mine.includes(pid) ? sum + cpu[i]! : sum), 0);
    });
    results.push({
      accepted: accepted / elapsed,
      same,
      cross,
      nodeCpu: perNode,
      redisCpu: cpu.at(-1)!,
      commands: (stats1.commands - stats0.commands) / elapsed,
      inMB: (stats1.inBytes - stats0.inBytes) / elapsed / 1e6,
      outMB: (stats1.outBytes - stats0.outBytes) / elapsed / 1e6,
    });
    console.error(
      `  run ${r + 1}: ${(accepted / elapsed).toFixed(0)} events/s, cross-node p95 ${percentile(cross, 95)} ms`,
    );
  }

  const held = await nodeList();
  const metrics = await Promise.all(
    nodes.map(async (n) => {
      const text = await (await fetch(`${n.url}/metrics`, { headers: { cookie: n.admin } })).text();
      const gauge = (name: string) =>
        Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      return {
        sessions: gauge('earshot_listen_sessions'),
        pipesIn: gauge('earshot_cluster_pipes\\{direction="in"\\}'),
        pipesOut: gauge('earshot_cluster_pipes\\{direction="out"\\}'),
      };
    }),
  );
  console.log(
    `\nThree nodes (${callCount} calls streaming both legs, ${listenerCount} consoles listening, ${rate} events/s posted to the nodes in turn; ${runs} runs of ${seconds} s; nodes and Redis on core ${SERVER_CPU}, load on core ${LOAD_CPU})\n`,
  );
  console.log(
    '| node | live calls | consoles | listen sessions | calls piped in | piped out | CPU % (median) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  nodes.forEach((_, i) => {
    const h = held.find((n) => n.id === names[i]);
    const m = metrics[i]!;
    console.log(
      `| ${names[i]} | ${h?.calls ?? '?'} | ${h?.consoles ?? '?'} | ${m.sessions} | ${m.pipesIn} | ${m.pipesOut} | ${median(results.map((x) => x.nodeCpu[i]!)).toFixed(0)} |`,
    );
  });
  const same = results.flatMap((x) => x.same);
  const cross = results.flatMap((x) => x.cross);
  console.log(
    '\n| events/s accepted | same node p50 / p95 ms | other nodes p50 / p95 ms | Redis CPU % | Redis commands/s | Redis in / out MB/s |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| ${median(results.map((x) => x.accepted)).toFixed(0)} | ${percentile(same, 50)} / ${percentile(same, 95)} | ${percentile(cross, 50)} / ${percentile(cross, 95)} | ${median(results.map((x) => x.redisCpu)).toFixed(1)} | ${median(results.map((x) => x.commands)).toFixed(0)} | ${median(results.map((x) => x.inMB)).toFixed(2)} / ${median(results.map((x) => x.outMB)).toFixed(2)} |`,
  );
} finally {
  sockets.forEach((s) => s.close());
  for (const node of nodes) await node.close();
  await Promise.allSettled([redis.stop(), pg.stop()]);
  rmSync(files, { recursive: true, force: true });
}

async function nodeList(): Promise<{ id: string; calls: number; consoles: number }[]> {
  const res = await nodes[0]!.api<{ nodes: { id: string; calls: number; consoles: number }[] }>(
    'GET',
    '/api/v1/nodes',
  );
  return res.nodes;
}

async function waitFor(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function connect(node: BenchServer): Promise<Socket> {
  const socket = io(node.url, { transports: ['websocket'], extraHeaders: { cookie: node.exec } });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

async function ask<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  const res = await new Promise<{ ok: boolean; data: T; error?: { message: string } }>((resolve) =>
    socket.emit(event, payload, resolve),
  );
  if (!res.ok) throw new Error(`${event}: ${res.error?.message}`);
  return res.data;
}
