import type { KpiSnapshot, KpiUpdate } from '@earshot/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ask, type ConsoleClient } from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';
import { TEST_TOKEN } from '../test/harness.ts';

const t = useTestServer();
const clients: ConsoleClient[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.close()));

const post = (events: unknown[]) => t.server.events(events);
// NOTE: one base time per test, so that "60 s ago" and "50 s ago" are exactly 10 s apart
// (two Date.now() calls may straddle a millisecond).
let base = Date.now();
beforeEach(() => {
  base = Date.now();
});
const at = (secondsAgo: number) => new Date(base - secondsAgo * 1000).toISOString();

describe('contact-center events and KPIs', () => {
  it('accepts valid events, ignores repeats, and rejects bad ones by index with the reason', async () => {
    const first = await post([
      { id: 'e1', type: 'call.offered', at: at(60), callId: 'acd-1', team: 'mpls-care-1' },
      { id: 'e2', type: 'call.answered', at: at(50), callId: 'acd-1', agentId: 'a-olsen' },
      { id: 'e3', type: 'call.teleported', at: at(40), callId: 'acd-1' },
      { id: 'e4', type: 'survey.result', at: at(30), callId: 'acd-1', csat: 9 },
      { id: 'e5', type: 'call.offered', at: 'yesterday', callId: 'acd-2', team: 'mpls-care-1' },
    ]);
    expect(first.status).toBe(200);
    expect(first.body.accepted).toBe(2);
    expect(first.body.duplicates).toBe(0);
    expect(first.body.rejected.map((r) => r.index)).toEqual([2, 3, 4]);
    expect(first.body.rejected[1]!.reason).toMatch(/csat/);
    expect(first.body.rejected[2]!.reason).toMatch(/^at: /);
    const again = await post([
      { id: 'e1', type: 'call.offered', at: at(60), callId: 'acd-1', team: 'mpls-care-1' },
    ]);
    expect(again.body).toEqual({ accepted: 0, duplicates: 1, rejected: [] });

    const kpi = (await t.server.api<KpiSnapshot>('GET', '/api/v1/kpis/team:mpls-care-1?window=30m'))
      .body;
    expect(kpi).toMatchObject({
      scope: 'team:mpls-care-1',
      window: '30m',
      metrics: {
        offered: 1,
        answered: 1,
        asaMs: 10_000,
        serviceLevel: 1,
        activeCalls: 1,
        csat: null,
      },
    });
    expect((await t.server.api('GET', '/api/v1/kpis/planet:mars')).status).toBe(400);
    expect((await t.server.api('GET', '/api/v1/kpis/org?window=1y')).status).toBe(400);
    const history = (
      await t.server.api<{ points: KpiSnapshot[] }>('GET', '/api/v1/kpis/org/history?window=1h')
    ).body;
    expect(history.points).toHaveLength(12);
    expect(history.points.at(-1)!.metrics.offered).toBe(1);
    expect(history.points[0]!.metrics.offered).toBe(0);
    expect(
      (
        await fetch(`${t.server.earshot.url}/api/v1/events`, {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(401);
  });

  it('puts late and out-of-order events in their own place in time', async () => {
    // The answer arrives before the offer, and both a few minutes late.
    const base = Date.now();
    const ago = (seconds: number) => new Date(base - seconds * 1000).toISOString();
    await post([
      { id: 'late-a', type: 'call.answered', at: ago(170), callId: 'acd-late', agentId: 'a-olsen' },
    ]);
    await post([
      { id: 'late-o', type: 'call.offered', at: ago(200), callId: 'acd-late', team: 'bk-billing' },
    ]);
    const kpi = (await t.server.api<KpiSnapshot>('GET', '/api/v1/kpis/call:acd-late?window=30m'))
      .body;
    expect(kpi.metrics).toMatchObject({ offered: 1, answered: 1, asaMs: 30_000, serviceLevel: 0 });
  });

  it('sets figures other systems report beside the observed ones, flagging a gap past 10 %', async () => {
    await post([
      { id: 'r-o1', type: 'call.offered', at: at(100), callId: 'acd-r1', team: 'bk-billing' },
      { id: 'r-a1', type: 'call.answered', at: at(90), callId: 'acd-r1', agentId: 'a-rivera' },
      { id: 'r-w1', type: 'call.wrapup_ended', at: at(10), callId: 'acd-r1' },
    ]);
    const report = (value: number) =>
      fetch(`${t.server.earshot.url}/api/v1/kpis/reported`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          scope: 'team:bk-billing',
          metric: 'ahtMs',
          window: '1h',
          value,
          source: 'BI weekly',
        }),
      });
    expect((await report(60_000)).status).toBe(201);
    let kpi = (await t.server.api<KpiSnapshot>('GET', '/api/v1/kpis/team:bk-billing?window=1h'))
      .body;
    expect(kpi.reported.ahtMs).toMatchObject({
      reported: 60_000,
      observed: 80_000,
      difference: 20_000,
      flagged: true,
      source: 'BI weekly',
    });
    await report(78_000);
    kpi = (await t.server.api<KpiSnapshot>('GET', '/api/v1/kpis/team:bk-billing?window=1h')).body;
    expect(kpi.reported.ahtMs).toMatchObject({ reported: 78_000, flagged: false });
    const bad = await fetch(`${t.server.earshot.url}/api/v1/kpis/reported`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'team:bk-billing', metric: 'vibes', window: '1h', value: 1 }),
    });
    expect(bad.status).toBe(400);
  });

  it('an executive or admin enters reported figures, or imports them as CSV by name and in percent and seconds; a lead may not; followers see them at once', async () => {
    const follower = await t.server.console('exec');
    clients.push(follower);
    await ask<KpiSnapshot>(follower, 'kpi:subscribe', {
      scope: 'center:mn-minneapolis',
      window: 'today',
    });
    const pushed = new Promise<KpiUpdate>((resolve) =>
      follower.on('kpi:update', (u) => {
        if (u.reported?.serviceLevel) resolve(u);
      }),
    );
    const one = await t.server.api(
      'POST',
      '/api/v1/kpis/reported',
      {
        scope: 'center:mn-minneapolis',
        metric: 'serviceLevel',
        window: 'today',
        value: 0.92,
        source: 'staff meeting',
      },
      { as: 'exec', token: null },
    );
    expect(one.status).toBe(201);
    expect((await pushed).reported!.serviceLevel).toMatchObject({
      reported: 0.92,
      source: 'staff meeting',
    });
    const lead = await t.server.api(
      'POST',
      '/api/v1/kpis/reported',
      { scope: 'org', metric: 'serviceLevel', window: 'today', value: 0.9 },
      { as: 'lead', token: null },
    );
    expect(lead.status).toBe(403);

    const csv = (body: string) =>
      t.server.api('POST', '/api/v1/kpis/reported/import', undefined, {
        as: 'admin',
        token: null,
        raw: body,
        headers: { 'content-type': 'text/csv' },
      });
    // Names as people write them, values in their units; a wrong line stores nothing.
    const wrong = await csv(
      'Scope,Metric,Window,Value,Source\nBrooklyn,serviceLevel,today,81%,WFM\nAtlantis,ahtMs,today,4:30,WFM\n',
    );
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain('line 3');
    expect(JSON.stringify(wrong.body)).toContain('Atlantis');
    const good = await csv(
      'scope,metric,window,value,source\nBrooklyn,serviceLevel,today,81%,WFM\n"Minneapolis Care 1",ahtMs,1h,4:30,WFM\norg,asaMs,30m,25 s,WFM\n',
    );
    expect(good.status).toBe(201);
    expect(good.body).toEqual({ stored: 3 });
    const listed = (
      await t.server.api<{ reported: { scope: string; metric: string; value: number }[] }>(
        'GET',
        '/api/v1/kpis/reported',
      )
    ).body.reported;
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          scope: 'center:ny-brooklyn',
          metric: 'serviceLevel',
          value: 0.81,
        }),
        expect.objectContaining({ scope: 'team:mpls-care-1', metric: 'ahtMs', value: 270_000 }),
        expect.objectContaining({ scope: 'org', metric: 'asaMs', value: 25_000 }),
      ]),
    );
    expect(listed.some((r) => r.scope.includes('Atlantis'))).toBe(false);
    const audit = (
      await t.server.api<{ records: { action: string; details: Record<string, unknown> }[] }>(
        'GET',
        '/api/v1/audit?action=kpi.reported',
        undefined,
        { as: 'admin' },
      )
    ).body.records;
    expect(audit.map((r) => r.details)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ imported: 3 }),
        expect.objectContaining({ value: 0.92 }),
      ]),
    );
  });

  it('streams the changed metrics to consoles following a scope, and only to them', async () => {
    const teamFollower = await t.server.console('exec');
    const otherFollower = await t.server.console('exec');
    clients.push(teamFollower, otherFollower);
    const snapshot = await ask<KpiSnapshot>(teamFollower, 'kpi:subscribe', {
      scope: 'team:mpls-care-1',
      window: '1h',
    });
    if (!snapshot.ok) throw new Error(snapshot.error.message);
    expect(
      await ask(otherFollower, 'kpi:subscribe', { scope: 'team:bk-billing', window: '1h' }),
    ).toMatchObject({ ok: true });
    expect(
      await ask(otherFollower, 'kpi:subscribe', { scope: 'galaxy', window: '1h' }),
    ).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    const teamUpdates: KpiUpdate[] = [];
    const otherUpdates: KpiUpdate[] = [];
    teamFollower.on('kpi:update', (u) => teamUpdates.push(u));
    otherFollower.on('kpi:update', (u) => otherUpdates.push(u));

    const offeredBefore = snapshot.data.metrics.offered;
    await post([
      { id: 'q1', type: 'call.offered', at: at(2), callId: 'acd-q1', team: 'mpls-care-1' },
    ]);
    await expect
      .poll(() => teamUpdates.some((u) => u.metrics.offered === offeredBefore + 1), {
        timeout: 2000,
      })
      .toBe(true);
    const update = teamUpdates.find((u) => u.metrics.offered === offeredBefore + 1)!;
    expect(update.metrics.queueDepth).toBeGreaterThanOrEqual(1);
    expect(Object.keys(update.metrics)).not.toContain('csat'); // only what changed
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(otherUpdates).toEqual([]);
  });
});
