import { describe, expect, it } from 'vitest';
import type { MediaLog } from '../../log/logger.ts';
import { KEPT_UP_MS, MediaPriority, STARVED_MS } from './MediaPriority.ts';

const EPERM = 1;

/** A thread's scheduling as the kernel would keep it, and what the thread logged. */
function thread({ mayLeave = true } = {}) {
  const calls: boolean[] = [];
  const state = { idle: false };
  const schedIdle = (on: boolean) => {
    calls.push(on);
    if (!on && !mayLeave) return EPERM;
    state.idle = on;
    return 0;
  };
  const lines: { level: string; msg: string; fields: object }[] = [];
  const log: MediaLog = {
    debug: (fields, msg) => lines.push({ level: 'debug', msg, fields }),
    info: (fields, msg) => lines.push({ level: 'info', msg, fields }),
    warn: (fields, msg) => lines.push({ level: 'warn', msg, fields }),
    error: (fields, msg) => lines.push({ level: 'error', msg, fields }),
    child: () => log,
  };
  return { calls, state, schedIdle, lines, log };
}

describe('MediaPriority', () => {
  it('takes SCHED_IDLE at once and keeps it while batches wait less than a second', () => {
    const t = thread();
    const priority = new MediaPriority('idle', t.schedIdle, t.log);
    for (let now = 0; now < 60_000; now += 20) priority.observe(now % 1000 === 0 ? 900 : 3, now);
    expect(t.calls).toEqual([true]);
    expect(t.state.idle).toBe(true);
    expect(priority.idle).toBe(true);
    expect(t.lines).toEqual([]);
  });

  it('leaves SCHED_IDLE when starved, and goes back once it has kept up for a while', () => {
    const t = thread();
    const priority = new MediaPriority('idle', t.schedIdle, t.log);
    priority.observe(STARVED_MS + 500, 1000);
    expect(t.state.idle).toBe(false);
    expect(t.lines.map((l) => l.level)).toEqual(['warn']);
    // Catching up: its backlog shrinks, then it keeps up, and only then is it idle again.
    let now = 1000;
    for (let waited = 1400; waited > 0; waited -= 100) priority.observe(waited, (now += 20));
    expect(t.state.idle).toBe(false);
    const caughtUp = now;
    while (now < caughtUp + KEPT_UP_MS - 20) priority.observe(2, (now += 20));
    expect(t.state.idle).toBe(false);
    priority.observe(2, caughtUp + KEPT_UP_MS + 100);
    expect(t.state.idle).toBe(true);
    expect(t.calls).toEqual([true, false, true]);
    expect(t.lines.map((l) => l.level)).toEqual(['warn', 'info']);
  });

  it('stays idle and says why, once a minute, where the kernel will not let it leave', () => {
    const t = thread({ mayLeave: false });
    const priority = new MediaPriority('idle', t.schedIdle, t.log);
    for (let now = 0; now < 150_000; now += 100) priority.observe(STARVED_MS * 2, now);
    expect(t.state.idle).toBe(true);
    const warnings = t.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(3);
    expect(warnings[0]!.msg).toMatch(/CAP_SYS_NICE.*EARSHOT_MEDIA_PRIORITY=low/);
  });

  it('never touches the scheduler when told low, or where there is no native call', () => {
    const low = thread();
    const priority = new MediaPriority('low', low.schedIdle, low.log);
    priority.observe(STARVED_MS * 5, 0);
    expect(low.calls).toEqual([]);
    expect(priority.idle).toBe(false);
    const none = thread();
    new MediaPriority('idle', undefined, none.log).observe(STARVED_MS * 5, 0);
    expect(none.lines).toEqual([]);
  });

  it('stays at nice 10, and says so, where SCHED_IDLE cannot be had', () => {
    const t = thread();
    const priority = new MediaPriority('idle', () => EPERM, t.log);
    priority.observe(STARVED_MS * 5, 0);
    expect(priority.idle).toBe(false);
    expect(t.lines.map((l) => l.msg)).toEqual([
      'media thread could not take SCHED_IDLE: nice 10 only',
    ]);
  });
});
