// KPI feed benchmark: sustained contact-center event ingest with many consoles following
// KPI scopes, and event-to-update latency (an event posted -> the kpi:update that shows
// it at a subscribed console). The server runs as its own process with the demo org.
//
//   npm run bench -- kpi [--rates 1000,2000,4000] [--consoles 200] [--seconds 10] [--runs 3]
import { parseArgs } from 'node:util';
import type { EventsResult, KpiSnapshot, KpiUpdate } from '@earshot/shared';
import { cpuSeconds } from './proc.ts';
import { median, percentile, startBenchServer } from './server.ts';
import { io, type Socket } from 'socket.io-client';
import { demoOrg } from '../../server/src/sim/demoOrg.ts';
import { Random } from '../../server/src/sim/random.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '1000,2000,4000' },
    consoles: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
  },
});
const rates = values.rates
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const consoles = Number(values.consoles);
const seconds = Number(values.seconds);
const runs = Number(values.runs);
if (!rates.length || !(consoles >= 1 && consoles <= 2000) || !(seconds >= 2) || !(runs >= 1)) {
  console.error(
    'usage: bench kpi [--rates 1000,2000] [--consoles 1-2000] [--seconds S>=2] [--runs N]',
  );
  process.exit(2);
}

const org = demoOrg(new Random(7));
// The demo admin declares the organisation; the consoles are the demo executive's.
const server = await startBenchServer('kpi', 'bench-kpi-token-0123456789', {
  EARSHOT_MEDIASOUP_WORKERS: '1',
  // NOTE: every console here is the demo executive's, far past one person's limit.
  EARSHOT_MAX_SOCKETS_PER_USER: '1000',
});
const { url, child, exec } = server;
const post = (path: string, body: unknown, method = 'POST') =>
  server.api<EventsResult>(method, path, body);

const sockets: Socket[] = [];
try {
  await post('/api/v1/org', org, 'PUT');
  // Consoles follow a mix of scopes: the org, centers, regions and teams.
  const scopes = [
    'org',
    ...org.centers.map((c) => `center:${c.id}`),
    ...org.regions.map((r) => `region:${r.id}`),
    ...org.teams.map((t) => `team:${t.id}`),
  ];
  for (let i = 0; i < consoles; i++) {
    const socket = io(url, { transports: ['websocket'], extraHeaders: { cookie: exec } });
    sockets.push(socket);
    await new Promise((resolve) =>
      socket.emit('kpi:subscribe', { scope: scopes[i % scopes.length], window: '1h' }, resolve),
    );
  }
  const probeTeam = org.teams[0]!.id;
  const probe = sockets[scopes.indexOf(`team:${probeTeam}`)]!;

  let serial = 0;
  const rows: {
    rate: number;
    accepted: number;
    perSecond: number;
    p50: number;
    p95: number;
    cpu: number;
  }[] = [];
  for (const rate of rates) {
    const results: { perSecond: number; latencies: number[]; cpu: number; accepted: number }[] = [];
    for (let r = 0; r < runs; r++) {
      const latencies: number[] = [];
      const pending = new Map<number, number>(); // offered count awaited -> sent at
      let offeredNow = (
        await new Promise<{ ok: boolean; data: KpiSnapshot }>((resolve) =>
          probe.emit('kpi:subscribe', { scope: `team:${probeTeam}`, window: '1h' }, resolve),
        )
      ).data.metrics.offered;
      const onUpdate = (u: KpiUpdate) => {
        if (u.scope !== `team:${probeTeam}` || u.metrics.offered === undefined) return;
        for (const [count, sentAt] of pending) {
          if (u.metrics.offered >= count) {
            latencies.push(Date.now() - sentAt);
            pending.delete(count);
          }
        }
      };
      probe.on('kpi:update', onUpdate);
      const batchEvery = 50;
      const perBatch = Math.max(1, Math.round((rate * batchEvery) / 1000));
      const start = Date.now();
      const cpu0 = cpuSeconds([child.pid!]);
      let accepted = 0;
      const inflight: Promise<unknown>[] = [];
      for (let b = 0; Date.now() - start < seconds * 1000; b++) {
        const wait = start + b * batchEvery - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const events = [];
        for (let i = 0; i < perBatch; i++) {
          const n = ++serial;
          const team = org.teams[n % org.teams.length]!;
          const at = new Date().toISOString();
          // A call's life in four events, spread over the batches.
          const kind = n % 4;
          const callId = `bench-${Math.floor(n / 4)}`;
          if (kind === 0)
            events.push({ id: `e${n}`, type: 'call.offered', at, callId, team: team.id });
          else if (kind === 1)
            events.push({
              id: `e${n}`,
              type: 'call.answered',
              at,
              callId,
              agentId: `${team.id}-a01`,
            });
          else if (kind === 2) events.push({ id: `e${n}`, type: 'call.ended', at, callId });
          else events.push({ id: `e${n}`, type: 'call.wrapup_ended', at, callId });
        }
        // Every second, one probe call for the probe team, timed to its update.
        if (b % 20 === 0) {
          offeredNow++;
          pending.set(offeredNow, Date.now());
          events.push({
            id: `p${++serial}`,
            type: 'call.offered',
            at: new Date().toISOString(),
            callId: `probe-${serial}`,
            team: probeTeam,
          });
        }
        inflight.push(post('/api/v1/events', { events }).then((res) => (accepted += res.accepted)));
        if (inflight.length > 20) await inflight.shift();
      }
      await Promise.all(inflight);
      const elapsed = (Date.now() - start) / 1000;
      const cpu = (100 * (cpuSeconds([child.pid!]) - cpu0)) / elapsed;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      probe.off('kpi:update', onUpdate);
      results.push({ perSecond: accepted / elapsed, latencies, cpu, accepted });
    }
    const all = results.flatMap((x) => x.latencies);
    rows.push({
      rate,
      accepted: median(results.map((x) => x.accepted)),
      perSecond: median(results.map((x) => x.perSecond)),
      p50: percentile(all, 50),
      p95: percentile(all, 95),
      cpu: median(results.map((x) => x.cpu)),
    });
    console.error(
      `  ${rate}/s: ${rows.at(-1)!.perSecond.toFixed(0)} accepted/s, p95 ${rows.at(-1)!.p95} ms`,
    );
  }
  console.log(
    `\nKPI feed (${consoles} consoles following KPI scopes; ${runs} runs of ${seconds} s; latencies over all runs)\n`,
  );
  console.log(
    '| target events/s | accepted events/s | event-to-update p50 ms | p95 ms | server CPU % |',
  );
  console.log(
    '|----------------:|------------------:|-----------------------:|-------:|-------------:|',
  );
  for (const r of rows)
    console.log(
      `| ${r.rate} | ${r.perSecond.toFixed(0)} | ${r.p50} | ${r.p95} | ${r.cpu.toFixed(0)} |`,
    );
} finally {
  sockets.forEach((s) => s.close());
  await server.close();
}
