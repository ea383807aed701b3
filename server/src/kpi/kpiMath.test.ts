import { describe, expect, it } from 'vitest';
import {
  computeMetrics,
  holdIntervals,
  localMidnight,
  newCallFacts,
  repeatRate,
  type AgentFacts,
  type CallFacts,
  type Conversation,
} from './kpiMath.ts';

const T0 = Date.parse('2026-11-23T15:00:00Z');
const s = (seconds: number) => T0 + seconds * 1000;

const call = (over: Partial<CallFacts>): CallFacts => ({
  ...newCallFacts('c'),
  team: 'care',
  ...over,
});
const window = (now: number, from = now - 3_600_000) => ({ now, from: () => from });

describe('KPI formulas', () => {
  // Five calls, by hand:
  //  a: offered 0, answered 10 s (in SL), held 60-90 s, ended 300 s, wrap-up to 330 s, csat 4
  //  b: offered 5, answered 35 s (late), transferred at 100 s, still talking
  //  c: offered 20, abandoned at 22 s: a short abandon, left out of SL and abandon rate
  //  d: offered 30, abandoned at 60 s: a real abandon
  //  e: offered 3500 s, still queued at 3600 s
  const calls = [
    call({
      callId: 'a',
      offeredAt: s(0),
      answeredAt: s(10),
      agentId: 'x',
      holdMarks: [
        { at: s(90), held: false },
        { at: s(60), held: true },
      ],
      endedAt: s(300),
      wrapupEndedAt: s(330),
      csat: { at: s(400), value: 4 },
    }),
    call({ callId: 'b', offeredAt: s(5), answeredAt: s(35), agentId: 'y', transferredAt: s(100) }),
    call({ callId: 'c', offeredAt: s(20), abandonedAt: s(22) }),
    call({ callId: 'd', offeredAt: s(30), abandonedAt: s(60) }),
    call({ callId: 'e', offeredAt: s(3500) }),
  ];

  it('computes every call metric as defined', () => {
    const m = computeMetrics(calls, [], window(s(3600), s(-1)));
    expect(m).toMatchObject({
      offered: 5,
      answered: 2,
      abandoned: 1,
      serviceLevel: 1 / 3, // a within 20 s, of a, b and d
      abandonRate: 1 / 4, // d, of 5 offered less the short abandon
      asaMs: 20_000, // (10 + 30) / 2
      ahtMs: 320_000, // a: 330 - 10
      holdRate: 1 / 2,
      avgHoldMs: 30_000,
      transferRate: 1 / 2,
      activeCalls: 1, // b
      queueDepth: 1, // e
      longestWaitMs: 100_000,
      csat: 4,
    });
  });

  it('says null, not 0, where there is no data', () => {
    const m = computeMetrics([], [], window(s(3600)));
    expect(m).toMatchObject({
      serviceLevel: null,
      abandonRate: null,
      asaMs: null,
      ahtMs: null,
      csat: null,
      occupancy: null,
      longestWaitMs: null,
      offered: 0,
    });
  });

  it('ignores what happens after "now", so history is the past as it was', () => {
    const m = computeMetrics(calls, [], window(s(50), s(-1)));
    // At 50 s: a and b answered, c short-abandoned, d still waiting, no hold yet.
    expect(m).toMatchObject({
      answered: 2,
      abandoned: 0,
      queueDepth: 1,
      longestWaitMs: 20_000,
      holdRate: 0,
      activeCalls: 2,
    });
  });

  it('pairs holds by time whatever order their events came in, an open hold runs to now', () => {
    const marks = [
      { at: 30, held: false },
      { at: 10, held: true },
      { at: 50, held: true },
    ];
    expect(holdIntervals(marks, 100)).toEqual([
      { start: 10, end: 30, open: false },
      { start: 50, end: 100, open: true },
    ]);
  });

  it('counts occupancy as on-call and wrap-up time over staffed time, and agents by current state', () => {
    const agents: AgentFacts[] = [
      {
        agentId: 'x',
        team: 'care',
        states: [
          { at: s(0), state: 'available' },
          { at: s(60), state: 'on_call' },
          { at: s(240), state: 'wrap_up' },
          { at: s(300), state: 'break' },
        ],
      },
      { agentId: 'y', team: 'care', states: [{ at: s(0), state: 'on_call' }] },
    ];
    const m = computeMetrics([], agents, window(s(600), s(0)));
    // x: busy 240 s of 300 s staffed (break not staffed); y: busy 600 of 600.
    expect(m.occupancy).toBeCloseTo(840 / 900, 6);
    expect(m.agentsByState).toEqual({ available: 0, on_call: 1, wrap_up: 0, break: 1, offline: 0 });
  });
});

describe('repeat calls', () => {
  it('counts a call whose customer called within the previous 24 h', () => {
    const tapped = (number: string | null, hoursAgo: number) =>
      ({ customerNumber: number, startedAt: T0 - hoursAgo * 3_600_000 }) as Conversation;
    const history = [
      tapped('+1612', 30),
      tapped('+1612', 2),
      tapped('+1718', 3),
      tapped('+1718', 1),
      tapped(null, 1),
    ];
    // In the window (last 2.5 h): +1612 at -2 h (last call 28 h before: not a repeat),
    // +1718 at -1 h (called 2 h before: a repeat); the call with no number is not counted.
    const inWindow = history.filter((c) => c.startedAt >= T0 - 2.5 * 3_600_000);
    expect(repeatRate(inWindow, history)).toBe(1 / 2);
    expect(repeatRate([], history)).toBeNull();
  });
});

describe('local midnight', () => {
  it('is found in two time zones, across a DST change', () => {
    const now = Date.parse('2026-11-23T04:30:00Z'); // 22:30 the day before in Chicago, 23:30 in New York
    expect(new Date(localMidnight('America/Chicago', now)).toISOString()).toBe(
      '2026-11-22T06:00:00.000Z',
    );
    expect(new Date(localMidnight('America/New_York', now)).toISOString()).toBe(
      '2026-11-22T05:00:00.000Z',
    );
    const afterRollover = Date.parse('2026-11-23T05:30:00Z'); // 00:30 in New York, still the 22nd in Chicago
    expect(new Date(localMidnight('America/New_York', afterRollover)).toISOString()).toBe(
      '2026-11-23T05:00:00.000Z',
    );
    expect(new Date(localMidnight('America/Chicago', afterRollover)).toISOString()).toBe(
      '2026-11-22T06:00:00.000Z',
    );
    // 2026-03-08: clocks go forward at 02:00 in Chicago; midnight was still CST (UTC-6).
    expect(
      new Date(localMidnight('America/Chicago', Date.parse('2026-03-08T20:00:00Z'))).toISOString(),
    ).toBe('2026-03-08T06:00:00.000Z');
  });
});
