import type { Alert } from '@earshot/shared';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../test/fixtures.ts';
import { eventually, streamTone } from '../test/harness.ts';

const t = useTestServer();

const post = async (events: unknown[]) => {
  expect((await t.server.events(events)).status).toBe(200);
};
const iso = (ms: number) => new Date(ms).toISOString();
const all = async () =>
  (
    await t.server.api<{ alerts: Alert[] }>('GET', '/api/v1/alerts?state=all', undefined, {
      as: 'admin',
    })
  ).body.alerts;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The alerts of one rule on one subject (there must be exactly one). */
async function raisedOnce(rule: string, subject: string, within: number): Promise<Alert> {
  const alert = await eventually(
    async () => (await all()).find((a) => a.ruleName === rule && a.subject === subject),
    within,
    `the ${rule} alert`,
  );
  await pause(600);
  expect((await all()).filter((a) => a.ruleName === rule && a.subject === subject)).toHaveLength(1);
  return alert;
}
const cleared = (id: string) =>
  eventually(
    async () => (await all()).find((a) => a.id === id && a.clearedAt),
    2500,
    'the alert to clear',
  );

describe('every kind of alert rule', () => {
  it('fires within a second of its condition and not before, once, and clears when it ends', async () => {
    const rule = async (name: string, kind: string, scope: string, threshold?: number) =>
      expect(
        (
          await t.server.api(
            'POST',
            '/api/v1/alert-rules',
            { name, kind, scope, ...(threshold === undefined ? {} : { threshold }) },
            { as: 'admin' },
          )
        ).status,
      ).toBe(201);
    await rule('long call', 'call_longer', 'team:mpls-care-1', 2);
    await rule('long wrap-up', 'wrap_up_longer', 'team:bk-billing', 2);
    await rule('queue', 'queue_depth', 'team:bk-billing', 0);
    await rule('wait', 'longest_wait', 'team:bk-billing', 3);
    await rule('service level', 'service_level_below', 'team:bk-billing', 50);

    const now = Date.now();
    // The team's AHT today is 30 s (one call handled); a live call 58 s old passes 2x at 60 s.
    await post([
      {
        id: 'k-1',
        type: 'call.offered',
        at: iso(now - 120_000),
        callId: 'k-done',
        team: 'mpls-care-1',
      },
      {
        id: 'k-2',
        type: 'call.answered',
        at: iso(now - 90_000),
        callId: 'k-done',
        agentId: 'a-olsen',
      },
      { id: 'k-3', type: 'call.ended', at: iso(now - 70_000), callId: 'k-done' },
      { id: 'k-4', type: 'call.wrapup_ended', at: iso(now - 60_000), callId: 'k-done' },
      {
        id: 'k-5',
        type: 'call.offered',
        at: iso(now - 59_000),
        callId: 'k-long',
        team: 'mpls-care-1',
      },
      {
        id: 'k-6',
        type: 'call.answered',
        at: iso(now - 58_000),
        callId: 'k-long',
        agentId: 'a-olsen',
      },
      // An agent in wrap-up since now; a caller waiting since now; one who gave up.
      {
        id: 'k-7',
        type: 'agent.state',
        at: iso(now),
        agentId: 'a-rivera',
        team: 'bk-billing',
        state: 'wrap_up',
      },
      { id: 'k-8', type: 'call.offered', at: iso(now), callId: 'k-wait', team: 'bk-billing' },
      {
        id: 'k-9',
        type: 'call.offered',
        at: iso(now - 100_000),
        callId: 'k-gone',
        team: 'bk-billing',
      },
      { id: 'k-10', type: 'call.abandoned', at: iso(now - 50_000), callId: 'k-gone' },
    ]);
    const check = (alert: Alert, onset: number) => {
      const lag = Date.parse(alert.raisedAt) - onset;
      expect(lag, `${alert.ruleName} raised ${lag} ms after its condition`).toBeGreaterThanOrEqual(
        0,
      );
      expect(lag, `${alert.ruleName} raised ${lag} ms after its condition`).toBeLessThanOrEqual(
        1000,
      );
    };
    // Conditions that hold at once: the queue, the service level (0 of 1 in 30 min).
    check(await raisedOnce('queue', 'team:bk-billing', 2000), now);
    const sl = await raisedOnce('service level', 'team:bk-billing', 2500);
    expect(sl.message).toBe('service level 0 % over 30 min');
    // Later ones: the long call at +2 s, the wrap-up at +2 s, the wait at +3 s.
    check(await raisedOnce('long call', 'call:k-long', 4000), now + 2000);
    check(await raisedOnce('long wrap-up', 'agent:a-rivera', 4000), now + 2000);
    const wait = await raisedOnce('wait', 'team:bk-billing', 5000);
    check(wait, now + 3000);

    // The conditions end: each alert clears within a second.
    const endedAt = Date.now();
    await post([
      { id: 'k-11', type: 'call.ended', at: iso(endedAt), callId: 'k-long' },
      {
        id: 'k-12',
        type: 'agent.state',
        at: iso(endedAt),
        agentId: 'a-rivera',
        team: 'bk-billing',
        state: 'available',
      },
      {
        id: 'k-13',
        type: 'call.answered',
        at: iso(endedAt),
        callId: 'k-wait',
        agentId: 'a-rivera',
      },
    ]);
    for (const name of ['long call', 'long wrap-up', 'queue', 'wait']) {
      const open = (await all()).find((a) => a.ruleName === name)!;
      const done = await cleared(open.id);
      expect(Date.parse(done.clearedAt!) - endedAt).toBeLessThanOrEqual(1000);
    }
  });

  it('on tapped calls: dead air past its limit, and overtalk over the last minute', async () => {
    for (const [name, kind, threshold] of [
      ['silence', 'dead_air', 1],
      ['overtalk', 'overtalk_above', 50],
    ] as const)
      await t.server.api(
        'POST',
        '/api/v1/alert-rules',
        { name, kind, scope: 'team:mpls-care-1', threshold },
        { as: 'admin' },
      );
    const { callId, legs } = await t.server.createCall('PCMU', { externalId: 'k-tapped' });
    // Quiet on both legs: dead air passes 1 s.
    const quiet = [legs.agent.port, legs.customer.port].map((port, i) =>
      streamTone(t.sender, port, {
        codec: 'PCMU',
        frequency: 440,
        amplitude: 0,
        maxSeconds: 3,
        ssrc: i + 1,
      }),
    );
    const silence = await raisedOnce('silence', 'call:k-tapped', 4000);
    expect(silence.callId).toBe(callId);
    for (const q of quiet) q.stop();
    await Promise.all(quiet.map((q) => q.done));
    // Then both talk at once for 12 s: more than half of the minute heard is overtalk, and
    // the dead air is over.
    const loud = [legs.agent.port, legs.customer.port].map((port, i) =>
      streamTone(t.sender, port, {
        codec: 'PCMU',
        frequency: 500 + i * 200,
        amplitude: 0.5,
        maxSeconds: 14,
        ssrc: i + 1,
      }),
    );
    await cleared(silence.id);
    const overtalk = await raisedOnce('overtalk', 'call:k-tapped', 14_000);
    expect(overtalk.message).toMatch(/^both sides talking \d+ % of the last minute$/);
    for (const l of loud) l.stop();
    await Promise.all(loud.map((l) => l.done));
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
    await cleared(overtalk.id);
  }, 40_000);
});
