// A load generator of its own (run pinned to the load core): a supervisor at the console
// while media load runs. Watches the live board (its cadence, and whether every call's
// levels are live), and times what a click costs: GET /api/v1/calls/:id and a listen:start
// round trip (then listen:stop), one after another, after the first two seconds. Prints
// its findings as JSON on its last line.
//
//   node probe.ts --url URL --cookie 'earshot_session=…' --calls calls.json --seconds 8
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { BoardUpdate } from '@earshot/shared';
import { ask, capabilities, connectConsole } from '@earshot/server/testing/console';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    cookie: { type: 'string' },
    calls: { type: 'string' },
    seconds: { type: 'string', default: '8' },
  },
});
const url = values.url!;
const cookie = values.cookie!;
const callIds = JSON.parse(readFileSync(values.calls!, 'utf8')) as string[];
const seconds = Number(values.seconds);

// NOTE: the probe's own event loop, timed: a late loop here (its core busy, its own work)
// would be counted as the server's slowness; the bench prints it beside the round trips.
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();

const board = await connectConsole(url, cookie);
const updates: { at: number; update: BoardUpdate }[] = [];
board.on('board:update', (update) => updates.push({ at: Date.now(), update }));
await ask(board, 'board:subscribe', {});
const listener = await connectConsole(url, cookie);
const rtpCapabilities = await capabilities(listener);

const start = Date.now();
const end = start + seconds * 1000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = () => callIds[Math.floor(Math.random() * callIds.length)]!;

// NOTE: the first two seconds are the load's start (every call turning to talking at once,
// its recording files opened), not the steady load this probe is about: not counted.
const WARM_UP_MS = 2000;
const steadyFrom = start + WARM_UP_MS;
const rest: number[] = [];
const listen: number[] = [];
const failures: string[] = [];
await Promise.all([
  (async () => {
    while (Date.now() < end) {
      const t0 = performance.now();
      const res = await fetch(`${url}/api/v1/calls/${pick()}`, { headers: { cookie } });
      await res.arrayBuffer();
      if (Date.now() > steadyFrom) rest.push(performance.now() - t0);
      if (!res.ok) failures.push(`GET /calls/:id ${res.status}`);
      await pause(50);
    }
  })(),
  (async () => {
    while (Date.now() < end) {
      const callId = pick();
      const t0 = performance.now();
      const started = await ask(listener, 'listen:start', { callId, rtpCapabilities });
      if (Date.now() > steadyFrom) listen.push(performance.now() - t0);
      if (!started.ok) failures.push(`listen:start ${started.error.code}`);
      await ask(listener, 'listen:stop', { callId });
      await pause(200);
    }
  })(),
]);
loop.disable();
board.close();
listener.close();

// The board's cadence once the load runs (after the first second), and whether, in the
// last two seconds, every call showed both legs' levels.
const steady = updates.filter((u) => u.at > start + 1000 && u.at <= end);
let maxGapMs = 0;
for (let i = 1; i < steady.length; i++)
  maxGapMs = Math.max(maxGapMs, steady[i]!.at - steady[i - 1]!.at);
const last = updates.filter((u) => u.at > end - 2000 && u.at <= end);
const levelsOk =
  last.length > 0 &&
  callIds.every((id) =>
    last.some(
      (u) => (u.update.levels[id]?.[0] ?? 0) > 0.5 && (u.update.levels[id]?.[1] ?? 0) > 0.5,
    ),
  );
console.log(
  JSON.stringify({
    boardPerSecond: steady.length / ((end - start - 1000) / 1000),
    maxGapMs,
    levelsOk,
    rest,
    listen,
    // ms past its 1 ms timer that the loop's 99th percentile turn came
    loopP99: loop.percentile(99) / 1e6 - 1,
    failures: failures.slice(0, 5),
  }),
);
