// Console benchmark, in Debian's Chromium against a real server:
//  1. join-to-first-audio: click "Listen" on a live call and time until the page's
//     WebAudio analysers first hear either leg (the strip's data-first-audio-ms), N joins;
//  2. the live board's update cost with many live calls: board messages per second and
//     their size, and what applying and painting them costs the page (CDP task and script
//     time per second, frames per second), median of several windows.
//
//   npm run bench -- listen [--joins 20] [--calls 500] [--windows 3] [--window-seconds 5]
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BoardUpdate } from '@earshot/shared';
import { startTestServer, streamTone, udpSocket } from '@earshot/server/testing';
import { consoleContext, launchBrowser } from '@earshot/tests/browser';
import type { Page } from 'playwright-core';
import { io } from 'socket.io-client';

const { values } = parseArgs({
  options: {
    joins: { type: 'string', default: '20' },
    calls: { type: 'string', default: '500' },
    windows: { type: 'string', default: '3' },
    'window-seconds': { type: 'string', default: '5' },
  },
});
const joins = Number(values.joins);
const boardCalls = Number(values.calls);
const windows = Number(values.windows);
const windowSeconds = Number(values['window-seconds']);
if (
  ![joins, boardCalls, windows, windowSeconds].every((n) => Number.isInteger(n) && n >= 1) ||
  boardCalls > 2000
) {
  console.error(
    'usage: bench listen [--joins N] [--calls 1-2000] [--windows N] [--window-seconds S]',
  );
  process.exit(2);
}

const clientDist = fileURLToPath(new URL('../../client/dist', import.meta.url));
if (!existsSync(`${clientDist}/index.html`)) {
  console.error(
    `no console bundle in ${clientDist}: run it through npm run bench (which builds it)`,
  );
  process.exit(2);
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const median = (xs: number[]) => percentile(xs, 50);

// NOTE: the bench announces hundreds of calls at once, past the production defaults.
const server = await startTestServer(
  { EARSHOT_LOG_LEVEL: 'warn', EARSHOT_INGEST_CALLS_PER_SECOND: '10000' },
  { clientDist },
);
const sender = await udpSocket();
const browser = await launchBrowser();
const streams: { stop(): void }[] = [];

async function openConsole(): Promise<Page> {
  const page = await (
    await consoleContext(browser, { url: server.earshot.url, cookie: await server.cookie('exec') })
  ).newPage();
  await page.goto(server.earshot.url);
  return page;
}

try {
  // 1. Join to first audio.
  const { callId, legs } = await server.createCall('PCMU');
  for (const [leg, frequency] of [
    ['agent', 440],
    ['customer', 1000],
  ] as const) {
    streams.push(
      streamTone(sender, legs[leg].port, {
        codec: 'PCMU',
        frequency,
        amplitude: 0.3,
        ssrc: frequency,
        maxSeconds: 600,
      }),
    );
  }
  const page = await openConsole();
  const row = page.locator(`.row[data-call-id="${callId}"]`);
  const strip = page.locator(`article.strip[data-call-id="${callId}"]`);
  const joinMs: number[] = [];
  for (let i = 0; i < joins; i++) {
    await row.getByRole('button', { name: 'Listen', exact: true }).click();
    await strip.and(page.locator('[data-first-audio-ms]')).waitFor({ timeout: 10_000 });
    joinMs.push(Number(await strip.getAttribute('data-first-audio-ms')));
    await strip.getByRole('button', { name: 'Stop listening' }).click();
    await strip.waitFor({ state: 'detached' });
    while (server.earshot.listen.sessions > 0)
      await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await page.context().close();
  streams.splice(0).forEach((s) => s.stop());
  await server.api('DELETE', `/api/v1/calls/${callId}`);

  // 2. The board with many live calls, each leg streaming real-time RTP (50 packets a second).
  const sockets = await Promise.all(Array.from({ length: 4 }, () => udpSocket()));
  for (let i = 0; i < boardCalls; i++) {
    const call = await server.createCall('PCMU', {
      agent: { id: `bench-${i}`, name: `Agent ${String(i).padStart(3, '0')}` },
    });
    const socket = sockets[i % sockets.length]!;
    const stream = (port: number, frequency: number) =>
      streamTone(socket, port, {
        codec: 'PCMU',
        frequency,
        amplitude: 0.2,
        ssrc: i + 1,
        maxSeconds: 600,
      });
    streams.push(
      stream(call.legs.agent.port, 300 + (i % 7) * 50),
      stream(call.legs.customer.port, 900),
    );
  }
  const observer = io(server.earshot.url, {
    transports: ['websocket'],
    extraHeaders: { cookie: await server.cookie('exec') },
  });
  const messages: { at: number; bytes: number }[] = [];
  observer.on('board:update', (u: BoardUpdate) =>
    messages.push({ at: Date.now(), bytes: JSON.stringify(u).length }),
  );
  await new Promise((resolve) => observer.emit('board:subscribe', {}, resolve));
  const board = await openConsole();
  await board.locator('.row').first().waitFor();
  const cdp = await board.context().newCDPSession(board);
  await cdp.send('Performance.enable');
  const metric = async () => {
    const { metrics } = (await cdp.send('Performance.getMetrics')) as {
      metrics: { name: string; value: number }[];
    };
    const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
    return {
      task: get('TaskDuration'),
      script: get('ScriptDuration'),
      layout: get('LayoutDuration') + get('RecalcStyleDuration'),
    };
  };
  await board.waitForTimeout(2000);
  const rows: {
    taskMs: number;
    scriptMs: number;
    layoutMs: number;
    fps: number;
    perSecond: number;
    bytes: number;
  }[] = [];
  for (let w = 0; w < windows; w++) {
    const before = await metric();
    const from = Date.now();
    const frames = await board.evaluate(
      (seconds) =>
        new Promise<number>((resolve) => {
          let n = 0;
          const end = performance.now() + seconds * 1000;
          const tick = () => {
            n++;
            if (performance.now() < end) requestAnimationFrame(tick);
            else resolve(n / seconds);
          };
          requestAnimationFrame(tick);
        }),
      windowSeconds,
    );
    const after = await metric();
    const elapsed = (Date.now() - from) / 1000;
    const inWindow = messages.filter((m) => m.at >= from && m.at <= from + elapsed * 1000);
    rows.push({
      taskMs: ((after.task - before.task) * 1000) / elapsed,
      scriptMs: ((after.script - before.script) * 1000) / elapsed,
      layoutMs: ((after.layout - before.layout) * 1000) / elapsed,
      fps: frames,
      perSecond: inWindow.length / elapsed,
      bytes: median(inWindow.map((m) => m.bytes)),
    });
  }
  const shownRows = await board.locator('.row').count();
  observer.close();
  streams.splice(0).forEach((s) => s.stop());
  await new Promise((resolve) => setTimeout(resolve, 50));
  sockets.forEach((s) => s.close());

  console.log(`\nJoin to first audio (Chromium, loopback, ${joins} joins)\n`);
  console.log('| p50 ms | p95 ms | min ms | max ms |');
  console.log('|-------:|-------:|-------:|-------:|');
  console.log(
    `| ${median(joinMs)} | ${percentile(joinMs, 95)} | ${Math.min(...joinMs)} | ${Math.max(...joinMs)} |`,
  );
  console.log(
    `\nLive board with ${boardCalls} live calls (median of ${windows} windows of ${windowSeconds} s; ${shownRows} rows rendered by the virtual list)\n`,
  );
  console.log(
    '| board messages/s | message size (bytes) | page busy ms/s | script ms/s | style+layout ms/s | frames/s |',
  );
  console.log(
    '|-----------------:|---------------------:|---------------:|------------:|------------------:|---------:|',
  );
  const m = (pick: (r: (typeof rows)[number]) => number, digits = 0) =>
    median(rows.map(pick)).toFixed(digits);
  console.log(
    `| ${m((r) => r.perSecond, 1)} | ${m((r) => r.bytes)} | ${m((r) => r.taskMs)} | ${m((r) => r.scriptMs)} | ${m((r) => r.layoutMs)} | ${m((r) => r.fps)} |`,
  );
} finally {
  streams.forEach((s) => s.stop());
  await browser.close();
  sender.close();
  await server.close();
}
