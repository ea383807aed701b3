import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert, AlertRule } from '@earshot/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { ask, type ConsoleClient } from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';
import { eventually } from '../test/harness.ts';
import { webhookSignature } from './AlertService.ts';

const t = useTestServer();
const clients: ConsoleClient[] = [];
const closers: (() => void)[] = [];
afterEach(() => {
  clients.splice(0).forEach((c) => c.close());
  closers.splice(0).forEach((c) => c());
});

const post = async (events: unknown[]) => {
  expect((await t.server.events(events)).status).toBe(200);
};
const iso = (ms = Date.now()) => new Date(ms).toISOString();
const openAlerts = async (as: 'lead' | 'exec' | 'qa' = 'lead') =>
  (await t.server.api<{ alerts: Alert[] }>('GET', '/api/v1/alerts', undefined, { as })).body.alerts;
const rule = (body: Record<string, unknown>, as: 'lead' | 'admin' = 'lead') =>
  t.server.api<AlertRule>('POST', '/api/v1/alert-rules', body, { as });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A webhook receiver on loopback: what it got, answering `status(n)` to the n-th try. */
async function receiver(status: (n: number) => number) {
  const got: { headers: IncomingMessage['headers']; body: string; at: number }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body, at: Date.now() });
      res.statusCode = status(got.length);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

describe('alerts', () => {
  it('a hold past its limit raises one alert within a second, not before, to those who may see it; it clears when the hold ends', async () => {
    const created = await rule({
      name: 'Long hold',
      kind: 'hold_longer',
      scope: 'team:mpls-care-1',
      threshold: 2,
    });
    expect(created.status).toBe(201);
    const lead = await t.server.console('lead');
    const other = await t.server.console('lead-bk');
    clients.push(lead, other);
    const seen: Alert[] = [];
    const elsewhere: Alert[] = [];
    lead.on('alert', (a) => seen.push(a));
    other.on('alert', (a) => elsewhere.push(a));
    expect((await ask(lead, 'alerts:subscribe', {})).ok).toBe(true);
    expect((await ask(other, 'alerts:subscribe', {})).ok).toBe(true);

    const start = Date.now();
    await post([
      {
        id: 'al-1',
        type: 'call.offered',
        at: iso(start - 60_000),
        callId: 'al-c1',
        team: 'mpls-care-1',
      },
      {
        id: 'al-2',
        type: 'call.answered',
        at: iso(start - 50_000),
        callId: 'al-c1',
        agentId: 'a-olsen',
      },
      {
        id: 'al-3',
        type: 'agent.state',
        at: iso(start - 50_000),
        agentId: 'a-olsen',
        team: 'mpls-care-1',
        state: 'on_call',
      },
      { id: 'al-4', type: 'call.held', at: iso(start), callId: 'al-c1' },
    ]);
    await pause(1500);
    expect(await openAlerts()).toEqual([]);
    const raised = await eventually(
      async () => (await openAlerts()).find((a) => a.subject === 'call:al-c1'),
      3000,
      'the hold alert',
    );
    // Raised after the 2 s limit and within a second of it.
    const lag = Date.parse(raised.raisedAt) - (start + 2000);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(1000);
    expect(raised).toMatchObject({
      kind: 'hold_longer',
      ruleName: 'Long hold',
      team: 'mpls-care-1',
      agent: { id: 'a-olsen', name: 'Kari Olsen' },
      clearedAt: null,
    });
    expect(raised.message).toMatch(/^on hold for 0:0[2-3]$/);
    await pause(1000);
    expect((await openAlerts()).filter((a) => a.subject === 'call:al-c1')).toHaveLength(1);
    expect(seen.filter((a) => a.id === raised.id)).toHaveLength(1);
    expect(elsewhere).toEqual([]);
    expect(await openAlerts('qa')).toEqual([]);

    // The hold ends: the alert clears (and stays listed until someone resolves it).
    const resumedAt = Date.now();
    await post([{ id: 'al-5', type: 'call.resumed', at: iso(resumedAt), callId: 'al-c1' }]);
    const cleared = await eventually(
      async () => (await openAlerts()).find((a) => a.id === raised.id && a.clearedAt),
      2000,
      'the alert to clear',
    );
    expect(Date.parse(cleared.clearedAt!) - resumedAt).toBeLessThanOrEqual(1000);
    expect(seen.at(-1)).toMatchObject({ id: raised.id, clearedAt: cleared.clearedAt });

    // A person acknowledges, then resolves it: it leaves the open list, the history keeps it.
    const ack = await t.server.api<Alert>(
      'POST',
      `/api/v1/alerts/${raised.id}/acknowledge`,
      undefined,
      { as: 'lead' },
    );
    expect(ack.body.acknowledgedBy).toEqual({ id: t.server.userId('lead'), name: 'Lee Lead' });
    const resolved = await t.server.api<Alert>(
      'POST',
      `/api/v1/alerts/${raised.id}/resolve`,
      undefined,
      { as: 'lead' },
    );
    expect(resolved.body.resolvedAt).not.toBeNull();
    expect((await openAlerts()).some((a) => a.id === raised.id)).toBe(false);
    const all = (
      await t.server.api<{ alerts: Alert[] }>('GET', '/api/v1/alerts?state=all', undefined, {
        as: 'lead',
      })
    ).body.alerts;
    expect(all.find((a) => a.id === raised.id)).toMatchObject({ resolvedBy: { name: 'Lee Lead' } });
    const audit = (
      await t.server.api<{ records: { action: string }[] }>('GET', '/api/v1/audit', undefined, {
        as: 'admin',
      })
    ).body.records.map((r) => r.action);
    expect(audit).toEqual(
      expect.arrayContaining(['alert.rule.create', 'alert.acknowledge', 'alert.resolve']),
    );
    await t.server.api('DELETE', `/api/v1/alert-rules/${created.body.id}`, undefined, {
      as: 'lead',
    });
  });

  it('a backlog of old events being replayed raises nothing from the past it passes through', async () => {
    const made = await rule(
      { name: 'Wrap-up', kind: 'wrap_up_longer', scope: 'team:mpls-care-1', threshold: 60 },
      'admin',
    );
    expect(made.status).toBe(201);
    const ago = (minutes: number) => iso(Date.now() - minutes * 60_000);
    // The replay reaches a wrap-up 30 minutes ago; its end comes in the next batch.
    await post([
      {
        id: 'bf-1',
        type: 'agent.state',
        at: ago(30),
        agentId: 'a-olsen',
        team: 'mpls-care-1',
        state: 'wrap_up',
      },
    ]);
    await pause(800);
    await post([
      {
        id: 'bf-2',
        type: 'agent.state',
        at: ago(29),
        agentId: 'a-olsen',
        team: 'mpls-care-1',
        state: 'available',
      },
    ]);
    await pause(800);
    const all = (
      await t.server.api<{ alerts: Alert[] }>('GET', '/api/v1/alerts?state=all', undefined, {
        as: 'admin',
      })
    ).body.alerts;
    expect(all.filter((a) => a.ruleName === 'Wrap-up')).toEqual([]);
    await t.server.api('DELETE', `/api/v1/alert-rules/${made.body.id}`, undefined, { as: 'admin' });
  });

  it('refuses rules a user may not set, and rules that do not make sense', async () => {
    expect(
      (await rule({ name: 'x', kind: 'hold_longer', scope: 'team:bk-billing', threshold: 5 }))
        .status,
    ).toBe(403);
    expect(
      (await rule({ name: 'x', kind: 'hold_longer', scope: 'org', threshold: 5 })).status,
    ).toBe(403);
    expect((await rule({ name: 'x', kind: 'hold_longer', scope: 'team:mpls-care-1' })).status).toBe(
      400,
    );
    expect(
      (await rule({ name: 'x', kind: 'vibes', scope: 'team:mpls-care-1', threshold: 1 })).status,
    ).toBe(400);
    const half = await rule(
      {
        name: 'x',
        kind: 'queue_depth',
        scope: 'org',
        threshold: 1,
        webhookUrl: 'http://127.0.0.1:9/x',
      },
      'admin',
    );
    expect(half.status).toBe(400);
    expect(JSON.stringify(half.body)).toContain('webhookSecret');
  });

  it('calls a rule’s webhook with a signed body, retries a failing receiver with back-off and says when it gave up', async () => {
    const good = await receiver((n) => (n <= 2 ? 503 : 200));
    const bad = await receiver(() => 500);
    const secret = 'a-webhook-secret-of-some-length';
    for (const [name, url] of [
      ['flaky', good.url],
      ['down', bad.url],
    ] as const) {
      const made = await rule(
        {
          name,
          kind: 'queue_depth',
          scope: 'team:bk-billing',
          threshold: 0,
          webhookUrl: url,
          webhookSecret: secret,
        },
        'admin',
      );
      expect(made.status).toBe(201);
      expect(JSON.stringify(made.body)).not.toContain(secret);
    }
    // A call waits in the queue: the queue is deeper than 0.
    await post([
      { id: 'al-q1', type: 'call.offered', at: iso(), callId: 'al-q1', team: 'bk-billing' },
    ]);
    await eventually(
      async () => (good.got.length >= 3 ? true : undefined),
      8000,
      'three tries at the flaky receiver',
    );
    for (const delivery of good.got) {
      const timestamp = String(delivery.headers['x-earshot-timestamp']);
      expect(delivery.headers['x-earshot-signature']).toBe(
        webhookSignature(secret, timestamp, delivery.body),
      );
      expect(JSON.parse(delivery.body)).toMatchObject({
        event: 'alert.raised',
        rule: { name: 'flaky' },
        alert: { kind: 'queue_depth', subject: 'team:bk-billing', message: '1 calls waiting' },
      });
    }
    // Back-off: 1 s, then 2 s, between tries.
    expect(good.got[1]!.at - good.got[0]!.at).toBeGreaterThanOrEqual(900);
    expect(good.got[2]!.at - good.got[1]!.at).toBeGreaterThanOrEqual(1900);
    await eventually(
      async () => (bad.got.length >= 5 ? true : undefined),
      20_000,
      'five tries at the receiver that is down',
    );
    const rules = async () =>
      (
        await t.server.api<{ rules: AlertRule[] }>('GET', '/api/v1/alert-rules', undefined, {
          as: 'admin',
        })
      ).body.rules;
    const down = await eventually(
      async () => (await rules()).find((r) => r.name === 'down' && r.webhookError),
      3000,
      'the failure on the rule',
    );
    expect(down.webhookError).toMatch(/answered 500 \(after 5 tries\)/);
    expect(down.webhookFailures).toBe(1);
    expect((await rules()).find((r) => r.name === 'flaky')).toMatchObject({
      webhookError: null,
      webhookFailures: 0,
    });
    expect(bad.got).toHaveLength(5);
    for (const r of await rules())
      await t.server.api('DELETE', `/api/v1/alert-rules/${r.id}`, undefined, { as: 'admin' });
  }, 40_000);
});
