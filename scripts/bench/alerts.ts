// Alert rules and the agents board under a whole floor: 2,279 agents, 500 calls on the
// ACD, 100 rules of every kind. Measures how late an alert comes after its condition
// (a probe hold past a 1 s limit, p50/p95 over each run), the server's CPU (its Node
// process and mediasoup worker) with the rules running, and what the agents board of all
// 2,279 agents costs the page (main-thread task time a second) while 100 agents change
// state every second. The server runs pinned to core 0; this process, its load and the
// browser on core 1.
//
//   npm run bench -- alerts [--runs 3] [--probes 10] [--seconds 20]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { AlertKind, type Alert } from '@earshot/shared';
import { consoleContext, launchBrowser } from '@earshot/tests/browser';
import { io } from 'socket.io-client';
import { demoOrg } from '../../server/src/sim/demoOrg.ts';
import { Random } from '../../server/src/sim/random.ts';
import { childPids, cpuSeconds } from './proc.ts';
import { median, percentile, startBenchServer } from './server.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    probes: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
  },
});
const runs = Number(values.runs);
const probes = Number(values.probes);
const seconds = Number(values.seconds);
if (!(runs >= 1) || !(probes >= 2) || !(seconds >= 5)) {
  console.error('usage: bench alerts [--runs N] [--probes N>=2] [--seconds S>=5]');
  process.exit(2);
}
// The load and the browser on core 1, away from the server.
execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });

const org = demoOrg(new Random(7));
const tree = (pid: number): number[] => [pid, ...childPids(pid).flatMap(tree)];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startBenchServer(
  'alerts',
  'bench-alerts-token-0123456789',
  { EARSHOT_MEDIASOUP_WORKERS: '1' },
  { cpu: 0 },
);
const { url, child, admin, exec } = server;
const call = (path: string, body: unknown, method = 'POST') => server.api(method, path, body);
let serial = 0;
const events = (list: Record<string, unknown>[]) =>
  call('/api/v1/events', {
    events: list.map((e) => ({ id: `bench-al-${++serial}`, at: new Date().toISOString(), ...e })),
  });

const browser = await launchBrowser();
try {
  await call('/api/v1/org', org, 'PUT');
  // The floor: every agent logged in; 500 of them on a call.
  const agents = org.agents;
  for (let i = 0; i < agents.length; i += 1000)
    await events(
      agents.slice(i, i + 1000).map((a) => ({
        type: 'agent.state',
        agentId: a.id,
        team: a.teamId,
        state: 'available',
      })),
    );
  const onCall = agents.slice(0, 500);
  const calls = onCall.map((a, i) => ({ agent: a, callId: `bench-al-call-${i}` }));
  for (let i = 0; i < calls.length; i += 250)
    await events(
      calls.slice(i, i + 250).flatMap(({ agent, callId }) => [
        { type: 'call.offered', callId, team: agent.teamId },
        { type: 'call.answered', callId, agentId: agent.id },
        { type: 'agent.state', agentId: agent.id, team: agent.teamId, state: 'on_call' },
      ]),
    );
  // 100 rules of every kind over every kind of scope (the demo's four among them), limits
  // high enough not to fire, and one probe: a hold past 1 s on the first call's team.
  const kinds = AlertKind.options;
  const scopes = [
    'org',
    ...org.regions.map((r) => `region:${r.id}`),
    ...org.centers.map((c) => `center:${c.id}`),
    ...org.teams.map((t) => `team:${t.id}`),
  ];
  const existing = (
    (await (await fetch(`${url}/api/v1/alert-rules`, { headers: { cookie: admin } })).json()) as {
      rules: unknown[];
    }
  ).rules.length;
  const probeTeam = calls[0]!.agent.teamId;
  await call('/api/v1/alert-rules', {
    name: 'probe',
    kind: 'hold_longer',
    scope: `team:${probeTeam}`,
    threshold: 1,
  });
  for (let i = 0; existing + 1 + i < 100; i++) {
    const kind = kinds[i % kinds.length]!;
    await call('/api/v1/alert-rules', {
      name: `bench ${i}`,
      kind,
      scope: scopes[i % scopes.length],
      ...(kind === 'held_but_talking'
        ? {}
        : {
            threshold: kind === 'service_level_below' ? 0 : kind === 'call_longer' ? 1000 : 100_000,
          }),
    });
  }

  const socket = io(url, { transports: ['websocket'], extraHeaders: { cookie: exec } });
  await new Promise((resolve) => socket.emit('alerts:subscribe', {}, resolve));
  const probeCalls = calls.filter((c) => c.agent.teamId === probeTeam);
  const rows: { run: number; p50: number; p95: number; cpu: number }[] = [];
  for (let run = 1; run <= runs; run++) {
    const latencies: number[] = [];
    const cpu0 = cpuSeconds(tree(child.pid!));
    const t0 = Date.now();
    for (let p = 0; p < probes; p++) {
      const probe = probeCalls[p % probeCalls.length]!;
      const raised = new Promise<number>((resolve) => {
        const on = (alert: Alert) => {
          if (alert.subject !== `call:${probe.callId}` || alert.clearedAt) return;
          socket.off('alert', on);
          resolve(Date.now());
        };
        socket.on('alert', on);
      });
      const heldAt = Date.now();
      await events([{ type: 'call.held', callId: probe.callId }]);
      const at = await raised;
      latencies.push(at - (heldAt + 1000));
      await events([{ type: 'call.resumed', callId: probe.callId }]);
      await pause(1200);
    }
    const cpu = ((cpuSeconds(tree(child.pid!)) - cpu0) / ((Date.now() - t0) / 1000)) * 100;
    rows.push({ run, p50: percentile(latencies, 50), p95: percentile(latencies, 95), cpu });
  }
  socket.close();

  // The agents board of the whole floor in a page, while 100 agents change state a second.
  const context = await consoleContext(browser, { url, cookie: exec });
  const page = await context.newPage();
  await page.goto(`${url}/agents`);
  await page.locator('.agent-row').first().waitFor();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const metric = async (name: string) =>
    ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === name)?.value ?? 0) *
    1000;
  const pageRows: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const task0 = await metric('TaskDuration');
    const t0 = Date.now();
    for (let s = 0; Date.now() - t0 < seconds * 1000; s++) {
      const wait = t0 + s * 1000 - Date.now();
      if (wait > 0) await pause(wait);
      await events(
        Array.from({ length: 100 }, (_, i) => {
          const a = agents[500 + ((s * 100 + i) % (agents.length - 500))]!;
          return {
            type: 'agent.state',
            agentId: a.id,
            team: a.teamId,
            state: (s + i) % 3 === 0 ? 'break' : 'available',
          };
        }),
      );
    }
    pageRows.push(((await metric('TaskDuration')) - task0) / ((Date.now() - t0) / 1000));
  }
  await context.close();

  console.log(
    `Alerts and the agents board: ${agents.length} agents, 500 calls on the ACD, 100 rules; server on core 0, load and browser on core 1\n`,
  );
  console.log('| run | alert after its condition p50 ms | p95 ms | server CPU % of a core |');
  console.log('|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(`| ${r.run} | ${r.p50.toFixed(0)} | ${r.p95.toFixed(0)} | ${r.cpu.toFixed(1)} |`);
  console.log(
    `| median | ${median(rows.map((r) => r.p50)).toFixed(0)} | ${median(rows.map((r) => r.p95)).toFixed(0)} | ${median(rows.map((r) => r.cpu)).toFixed(1)} |`,
  );
  console.log(
    `\nAgents board, ${agents.length} agents in one page, 100 state changes a second: main-thread task time ${pageRows.map((v) => v.toFixed(0)).join(', ')} ms a second (median ${median(pageRows).toFixed(0)})`,
  );
} finally {
  await browser.close();
  await server.close();
}
