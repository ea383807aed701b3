// Listening at scale: how many consoles can listen at once (each receiving both legs of a
// call over real WebRTC: ICE, DTLS, SRTP, in Chromium), how long a console waits from
// listen:start to the first audio while the others listen, and what each forwarded packet
// costs the server. The server and its mediasoup workers are pinned to core 0; the RTP
// sender (the SBC) and Chromium (the consoles, several pages of them) to core 1, each in
// processes of their own. The listening consoles' Chromium runs under SCHED_IDLE, and the
// consoles whose joins are timed are in a Chromium of their own at normal priority: a
// supervisor's browser is not the other supervisors' browsers, so the time measured is
// the server's under the load, not the wait behind a core of saturated receivers.
//
//   npm run bench -- listeners [--calls 50] [--consoles 50,100,150,200,250] [--hold 10] [--pages 4]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchBrowser } from '@earshot/tests/browser';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import type { JoinTimes } from './load/listeners-page.ts';
import { childPids, cpuSeconds, descendantPids, runLoad, udpDrops } from './proc.ts';
import { announceCalls, declareBenchOrg, percentile, startBenchServer } from './server.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '50' },
    consoles: { type: 'string', default: '50,100,150,200,250' },
    hold: { type: 'string', default: '10' },
    pages: { type: 'string', default: '4' },
  },
});
const calls = Number(values.calls);
const steps = values.consoles.split(',').map(Number);
const hold = Number(values.hold);
const pageCount = Number(values.pages);
if (
  ![calls, hold, pageCount].every((n) => Number.isInteger(n) && n >= 1) ||
  !steps.every(
    (n, i) => Number.isInteger(n) && n >= 1 && n <= 1000 && (i === 0 || n > steps[i - 1]!),
  )
) {
  console.error(
    'usage: bench listeners [--calls N] [--consoles 50,100,200 (rising, at most 1000)] [--hold S] [--pages N]',
  );
  process.exit(2);
}

const SERVER_CPU = 0;
const LOAD_CPU = 1;
const JOIN_CONCURRENCY = 8;
/** How many joins are timed at each step, one at a time, under the step's load. */
const PROBE_JOINS = 16;
/** The `p`th percentile of one phase of the joins, in whole ms. */
const at = (joins: JoinTimes[], phase: keyof JoinTimes, p: number) =>
  percentile(
    joins.map((j) => j[phase]),
    p,
  ).toFixed(0);
/** The least-squares line through `points` ([x, y] pairs, at least two distinct x). */
function fitLine(points: [number, number][]): { slope: number; intercept: number } {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startBenchServer(
  'listeners',
  'bench-listeners-token-0123456789',
  {
    EARSHOT_INGEST_CALLS_PER_SECOND: '10000',
    // NOTE: every console of the bench is the demo executive: one socket each.
    EARSHOT_MAX_SOCKETS_PER_USER: '1000',
  },
  { cpu: SERVER_CPU },
);
const { url, child, exec } = server;
const work = server.dataDir;
const stopSender = new AbortController();
let sending: Promise<unknown> | undefined;
const browser = await launchBrowser({ cpu: LOAD_CPU, idle: true });
const probeBrowser = await launchBrowser({ cpu: LOAD_CPU });
try {
  await declareBenchOrg(server);
  const created = await announceCalls(server, calls);
  const targets = join(work, 'targets.json');
  writeFileSync(targets, JSON.stringify(created.flatMap((c) => [c.legs.agent, c.legs.customer])));
  sending = runLoad('rtp-sender', ['--targets', targets, '--seconds', '3600'], LOAD_CPU, {
    signal: stopSender.signal,
  }).catch(() => undefined);

  // The consoles' code: mediasoup-client and socket.io-client, as the console uses them.
  const outDir = join(work, 'page');
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      lib: {
        entry: fileURLToPath(new URL('./load/listeners-page.ts', import.meta.url)),
        formats: ['iife'],
        name: 'earshotListenersPage',
        fileName: () => 'page.js',
      },
    },
  });
  const bundle = readFileSync(join(outDir, 'page.js'), 'utf8');
  const [name, value] = exec.split('=') as [string, string];
  const openPage = async (from: Browser) => {
    // NOTE: the bench's consoles are an inline script, which Earshot's CSP rightly refuses.
    const context = await from.newContext({ bypassCSP: true });
    await context.addCookies([{ name, value, url, httpOnly: true, sameSite: 'Strict' }]);
    const page = await context.newPage();
    // Any page of Earshot's origin will do: the consoles connect to where they were loaded.
    await page.goto(`${url}/healthz`);
    await page.addScriptTag({ content: bundle });
    return page;
  };
  const pages: Page[] = [];
  for (let i = 0; i < pageCount; i++) pages.push(await openPage(browser));
  const probePage = await openPage(probeBrowser);
  type Bench = {
    join(id: string): Promise<JoinTimes>;
    probe(id: string): Promise<JoinTimes>;
    received(): Promise<number[]>;
  };
  const join1 = (page: Page, callId: string) =>
    page.evaluate(
      (id) => (window as unknown as { earshotBench: Bench }).earshotBench.join(id),
      callId,
    );
  const probe1 = (callId: string) =>
    probePage.evaluate(
      (id) => (window as unknown as { earshotBench: Bench }).earshotBench.probe(id),
      callId,
    );
  const received = async () =>
    (
      await Promise.all(
        pages.map((p) =>
          p.evaluate(() => (window as unknown as { earshotBench: Bench }).earshotBench.received()),
        ),
      )
    ).flat();
  const workerPids = () => childPids(child.pid!);
  const serverPids = () => [child.pid!, ...workerPids()];
  const browserPids = () =>
    descendantPids(process.pid).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').startsWith('chrom');
      } catch {
        return false;
      }
    });

  /** CPU seconds and UDP drops so far of the server and of Chromium, and packets received. */
  const reading = async () => ({
    server: cpuSeconds(serverPids()),
    workers: cpuSeconds(workerPids()),
    workersKernel: cpuSeconds(workerPids(), 'system'),
    browser: cpuSeconds(browserPids()),
    browserDrops: udpDrops(browserPids()),
    serverDrops: udpDrops(serverPids()),
    packets: await received(),
  });
  /** The same over `seconds`: shares of a core, drops, and each consumer's packets. */
  const window = async (seconds: number) => {
    const before = await reading();
    const t0 = Date.now();
    await pause(seconds * 1000);
    const after = await reading();
    const elapsed = (Date.now() - t0) / 1000;
    const deltas = after.packets.map((n, i) => n - (before.packets[i] ?? 0));
    return {
      elapsed,
      server: (after.server - before.server) / elapsed,
      workers: (after.workers - before.workers) / elapsed,
      workersKernel: (after.workersKernel - before.workersKernel) / elapsed,
      browser: (after.browser - before.browser) / elapsed,
      // NOTE: a socket closed within the window takes its count along: never below none.
      browserDrops: Math.max(0, after.browserDrops - before.browserDrops),
      serverDrops: Math.max(0, after.serverDrops - before.serverDrops),
      deltas,
    };
  };

  await pause(3000);
  const idle = await window(hold);
  console.error(
    `  no listeners: server ${(idle.server * 100).toFixed(0)} % of a core for ${calls} calls`,
  );

  const rows: string[] = [];
  let consoles = 0;
  let failures = 0;
  const failed = (reason: unknown) => {
    failures++;
    if (failures <= 3) console.error(`  a join failed: ${String(reason).split('\n')[0]}`);
  };
  /** Each step's load: the server's CPU (share of a core) and the packets/s it forwarded. */
  const held: { consoles: number; server: number; forwarded: number }[] = [];
  /** Steps whose consumers fell short where the receivers' sockets overflowed, not the server's. */
  const receiversGaveOut: number[] = [];
  for (const target of steps) {
    const ramp: JoinTimes[] = [];
    const joins: JoinTimes[] = [];
    // The step is reached in waves of eight consoles joining at once.
    while (consoles < target) {
      const wave = Math.min(JOIN_CONCURRENCY, target - consoles);
      const results = await Promise.allSettled(
        Array.from({ length: wave }, (_, k) => {
          const n = consoles + k;
          return join1(pages[n % pages.length]!, created[n % created.length]!.callId);
        }),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') ramp.push(r.value);
        else failed(r.reason);
      }
      consoles += wave;
    }
    await pause(2000);
    // Then, while they all listen, a supervisor clicks Listen, hears the call and leaves,
    // one call after another: what a click on a loaded server waits for.
    for (let k = 0; k < PROBE_JOINS; k++) {
      try {
        joins.push(await probe1(created[(consoles + k) % created.length]!.callId));
      } catch (error) {
        failed(error);
      }
      await pause(200);
    }
    await pause(2000);
    const w = await window(hold);
    const consumers = w.deltas.length;
    const expected = 50 * w.elapsed;
    const live = w.deltas.filter((d) => d >= 0.9 * expected).length;
    const forwarded = w.deltas.reduce((a, b) => a + b, 0);
    const perSecond = forwarded / w.elapsed;
    const usPerForwarded = ((w.server - idle.server) * 1e6) / perSecond;
    // NOTE: a step is held when every console joined and every consumer received: only
    // those measure the server's cost (past them, the receivers' core is what gives).
    if (consumers === 2 * target && live === consumers)
      held.push({ consoles: target, server: w.server, forwarded: perSecond });
    rows.push(
      `| ${target} | ${consumers} | ${live} | ${at(joins, 'heard', 50)} | ${at(joins, 'heard', 95)} | ${at(joins, 'offered', 95)} / ${at(joins, 'connected', 95)} / ${at(joins, 'consumed', 95)} | ${at(ramp, 'heard', 95)} | ${perSecond.toFixed(0)} | ${(w.server * 100).toFixed(0)} (${((w.server - w.workers) * 100).toFixed(0)} + ${(w.workers * 100).toFixed(0)}) | ${(w.workersKernel * 100).toFixed(0)} | ${usPerForwarded.toFixed(1)} | ${(w.browser * 100).toFixed(0)} | ${w.browserDrops} / ${w.serverDrops} |`,
    );
    console.error(
      `  ${target} consoles: ${live}/${consumers} consumers live; datagrams dropped at the receivers' sockets ${w.browserDrops}, at the server's ${w.serverDrops}`,
    );
    if (live < consumers && w.browserDrops > 0 && w.serverDrops === 0)
      receiversGaveOut.push(target);
  }
  console.log(
    `\nListening at scale (${calls} live PCMU calls streaming; consoles in ${pageCount} Chromium pages under SCHED_IDLE, each its own Socket.IO connection and WebRTC transport; ${PROBE_JOINS} joins timed one at a time from a Chromium of their own; server on core ${SERVER_CPU}, sender and Chromium on core ${LOAD_CPU}; ${hold} s windows)\n`,
  );
  console.log(
    '| consoles | consumers | consumers receiving ≥ 90 % | a console joining: first audio p50 ms | first audio p95 ms | p95 ms to offer / connected / consumed | the listening consoles joining 8 at a time (idle Chromium): first audio p95 ms | forwarded packets/s | server CPU % (Node + mediasoup) | of which mediasoup in the kernel % | server µs per forwarded packet (above no listeners) | Chromium CPU % | datagrams dropped, full buffers: at the receivers / the server |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
  if (failures) console.log(`\n${failures} join(s) failed.`);
  // NOTE: a projection, said as one: a straight line through the steps' server CPU
  // against the packets they forwarded (least squares: one step's noise does not tip it),
  // read at the packets 1,000 consoles receive (2 legs x 50 packets/s each).
  if (held.length < steps.length)
    console.log(
      `\nNot held (a join failed or a consumer received less than 90 %): ${steps.filter((n) => !held.some((h) => h.consoles === n)).join(', ')} consoles; left out of the line below.`,
    );
  if (receiversGaveOut.length)
    console.log(
      `At ${receiversGaveOut.join(', ')} consoles the missing packets were dropped at the receivers' sockets (Chromium on core ${LOAD_CPU} not reading in time), none at the server's: the load core gave out there, not the server.`,
    );
  if (held.length >= 2) {
    const { slope, intercept } = fitLine(held.map((h) => [h.forwarded, h.server]));
    const projected = intercept + slope * 1000 * 2 * 50;
    console.log(
      `\nWith no listeners the server used ${(idle.server * 100).toFixed(0)} % of its core for the ${calls} calls. ` +
        `Over the steps, each forwarded packet cost ${(slope * 1e6).toFixed(1)} µs of server CPU (least squares, ${(intercept * 100).toFixed(0)} % at none); ` +
        `at that rate 1,000 consoles (100,000 forwarded packets/s) need ${(projected * 100).toFixed(0)} % of a core of this machine, ` +
        `${Math.ceil(projected)} core(s) with a mediasoup worker on each and the calls spread over them. ` +
        `A projection: measured up to ${held.at(-1)!.consoles} consoles held (what limits this bench is the receivers, on its load core).`,
    );
  }
} finally {
  stopSender.abort();
  await sending;
  await browser.close();
  await probeBrowser.close();
  await server.close();
}
