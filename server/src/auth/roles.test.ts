import type { BoardUpdate, Call, ListenEndReason } from '@earshot/shared';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ask,
  capabilities,
  connectConsole,
  startListening,
  type ConsoleClient,
} from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';
import {
  eventually,
  sendTone,
  signInAt,
  TEST_CALL,
  TEST_ORG,
  type ApiOptions,
  type TestUser,
} from '../test/harness.ts';

const t = useTestServer({ EARSHOT_CALL_IDLE_TIMEOUT_MS: '3600000' });
const clients: ConsoleClient[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.close()));
const open = async (user: TestUser) => {
  const client = await t.server.console(user);
  clients.push(client);
  return client;
};

const BROOKLYN = {
  center: 'ny-brooklyn',
  region: 'new-york-city',
  team: 'bk-billing',
  agent: { id: 'a-rivera', name: 'Luis Rivera' },
};

/** A Minneapolis call (lead's team), a Brooklyn one (lead-bk's), each ended with a tag. */
let mpls: string;
let brooklyn: string;
let mplsTag: string;
let brooklynTag: string;
let liveBrooklyn: string;

beforeAll(async () => {
  const made: string[] = [];
  for (const extra of [{}, BROOKLYN]) {
    const { callId, legs } = await t.server.createCall('PCMU', extra);
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 440,
      amplitude: 0.3,
      packets: 10,
    });
    made.push(callId);
  }
  [mpls, brooklyn] = made as [string, string];
  const tag = async (callId: string) =>
    (
      await t.server.api<{ id: string }>('POST', `/api/v1/calls/${callId}/tags`, {
        offsetMs: 50,
        label: 'coaching',
        leg: 'agent',
      })
    ).body.id;
  mplsTag = await tag(mpls);
  brooklynTag = await tag(brooklyn);
  for (const id of made) await t.server.api('DELETE', `/api/v1/calls/${id}`);
  liveBrooklyn = (await t.server.createCall('PCMU', BROOKLYN)).callId;
});

type Attempt = [method: string, path: () => string, body?: unknown];

/** Every route a signed-in supervisor uses, on the Brooklyn calls. */
const supervisorRoutes: Attempt[] = [
  ['GET', () => `/api/v1/calls/${liveBrooklyn}`],
  ['GET', () => `/api/v1/calls/${brooklyn}`],
  ['GET', () => `/api/v1/calls/${brooklyn}/recording`],
  ['GET', () => `/api/v1/calls/${brooklyn}/recording?from=0&to=100&download=1`],
  ['GET', () => `/api/v1/calls/${brooklyn}/tags`],
  ['POST', () => `/api/v1/calls/${brooklyn}/tags`, { offsetMs: 10, label: 'praise', leg: 'both' }],
  ['PATCH', () => `/api/v1/tags/${brooklynTag}`, { reviewed: true }],
  ['DELETE', () => `/api/v1/tags/${brooklynTag}`],
  ['GET', () => `/api/v1/calls/${brooklyn}/review`],
  ['PUT', () => `/api/v1/calls/${brooklyn}/review`, { reviewed: true }],
  ['POST', () => `/api/v1/calls/${brooklyn}/comments`, { body: 'nice' }],
  ['GET', () => '/api/v1/kpis/team:bk-billing'],
  ['GET', () => '/api/v1/kpis/agent:a-rivera/history'],
  ['GET', () => `/api/v1/kpis/call:${brooklyn}`],
  ['POST', () => '/api/v1/labels', { name: 'Brooklyn only', team: 'bk-billing' }],
];
const adminRoutes: Attempt[] = [
  ['GET', () => '/api/v1/users'],
  [
    'POST',
    () => '/api/v1/users',
    { username: 'mallory', password: 'mallory-password', roles: [{ role: 'admin' }] },
  ],
  ['PATCH', () => `/api/v1/users/${t.server.userId('lead')}`, { roles: [{ role: 'executive' }] }],
  ['DELETE', () => `/api/v1/users/${t.server.userId('qa')}`],
  ['GET', () => '/api/v1/tokens'],
  ['POST', () => '/api/v1/tokens', { name: 'stolen' }],
  ['GET', () => '/api/v1/audit'],
  ['GET', () => '/api/v1/audit?format=csv'],
  ['GET', () => '/api/v1/audit/verify'],
  ['PUT', () => '/api/v1/org', TEST_ORG],
  ['POST', () => '/api/v1/labels', { name: 'Everyone' }],
];
const ingestRoutes: Attempt[] = [
  ['POST', () => '/api/v1/calls', TEST_CALL],
  ['DELETE', () => `/api/v1/calls/${liveBrooklyn}`],
  [
    'POST',
    () => '/api/v1/events',
    { events: [{ id: 'e-1', type: 'call.abandoned', at: new Date().toISOString(), callId: 'x' }] },
  ],
  [
    'POST',
    () => '/api/v1/kpis/reported',
    { scope: 'org', metric: 'serviceLevel', window: '1h', value: 0.8 },
  ],
];
const sessionRoutes: Attempt[] = [
  ...supervisorRoutes,
  ...adminRoutes,
  ['GET', () => '/api/v1/calls'],
  ['GET', () => '/api/v1/org'],
  ['GET', () => '/api/v1/labels'],
  ['GET', () => '/api/v1/tags'],
  ['GET', () => '/api/v1/recordings'],
  ['GET', () => '/api/v1/auth/me'],
  ['GET', () => '/api/v1/kpis/org'],
];

/** Tries each route as `options` and expects `status` on all of them, with nothing changed. */
async function refused(routes: Attempt[], options: ApiOptions, status: number) {
  const before = await t.server.snapshot();
  for (const [method, path, body] of routes) {
    const res = await t.server.api(method, path(), body, options);
    expect(res.status, `${options.as ?? 'anonymous'} ${method} ${path()}`).toBe(status);
  }
  expect(await t.server.snapshot()).toBe(before);
}

describe('what each role may not do over REST', () => {
  it('anyone not signed in gets 401 everywhere but sign-in, and nothing changes', async () => {
    await refused(sessionRoutes, { as: null, token: null }, 401);
    await refused(ingestRoutes, { as: null, token: null }, 401);
  });

  it('an ingest token opens the ingest routes only', async () => {
    await refused(sessionRoutes, { as: null }, 401);
    await refused(ingestRoutes, { as: 'exec', token: 'esk_not-a-token-at-all-0000000000' }, 401);
  });

  it('a team lead cannot see, replay, tag, review or follow another team, nor administer', async () => {
    await refused(supervisorRoutes, { as: 'lead', token: null }, 403);
    await refused(adminRoutes, { as: 'lead', token: null }, 403);
    const { calls } = (
      await t.server.api<{ calls: Call[] }>('GET', '/api/v1/calls', undefined, { as: 'lead' })
    ).body;
    expect(calls.map((c) => c.id)).not.toContain(liveBrooklyn);
    const { tags } = (
      await t.server.api<{ tags: { id: string }[] }>('GET', '/api/v1/tags', undefined, {
        as: 'lead',
      })
    ).body;
    expect(tags.map((x) => x.id)).toEqual([mplsTag]);
    const { recordings } = (
      await t.server.api<{ recordings: { callId: string }[] }>(
        'GET',
        '/api/v1/recordings',
        undefined,
        { as: 'lead' },
      )
    ).body;
    expect(recordings.map((r) => r.callId)).toEqual([mpls]);
  });

  it('a QA reviewer of Brooklyn cannot reach Minneapolis recordings; no QA reviewer sees live calls', async () => {
    const minneapolis: Attempt[] = supervisorRoutes
      .filter(([, path]) => path().includes(brooklyn) && !path().includes('kpis'))
      .map(([m, path, body]) => [m, () => path().replace(brooklyn, mpls), body]);
    await refused(minneapolis, { as: 'qa-bk', token: null }, 403);
    expect(
      (await t.server.api<{ calls: Call[] }>('GET', '/api/v1/calls', undefined, { as: 'qa' })).body
        .calls,
    ).toEqual([]);
    expect(
      (await t.server.api('GET', `/api/v1/calls/${brooklyn}/recording`, undefined, { as: 'qa-bk' }))
        .status,
    ).toBe(200);
  });

  it('an admin manages people but hears, replays and reads no call', async () => {
    await refused(supervisorRoutes, { as: 'admin', token: null }, 403);
    await refused([['GET', () => `/api/v1/kpis/org`]], { as: 'admin', token: null }, 403);
  });

  it('executives and team leads see customer numbers masked; QA reviewers in full', async () => {
    const exec = (
      await t.server.api<Call>('GET', `/api/v1/calls/${liveBrooklyn}`, undefined, { as: 'exec' })
    ).body;
    expect(exec.customer.number).toBe('+1••••••0142');
    const qa = (
      await t.server.api<Call>('GET', `/api/v1/calls/${brooklyn}`, undefined, { as: 'qa' })
    ).body;
    expect(qa.customer.number).toBe('+16125550142');
  });
});

describe('what each role may not do over the socket', () => {
  it('a team lead forging another team’s call ids gets no consumer, no presence and no board row', async () => {
    const exec = await open('exec');
    await startListening(exec, liveBrooklyn);
    const lead = await open('lead');
    const leaked: string[] = [];
    lead.on('listeners:update', (u) => leaked.push(`presence ${u.callId}`));
    lead.on('tag:created', (tag) => leaked.push(`tag ${tag.callId}`));
    const caps = await capabilities(lead);
    const transportsBefore = t.server.earshot.listen.sessions;
    const before = await t.server.snapshot();

    expect(
      await ask(lead, 'listen:start', { callId: liveBrooklyn, rtpCapabilities: caps }),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    // The exec's session for that call is the exec's own: forged ids reach nothing.
    for (const event of ['listen:connect', 'listen:resume', 'listen:stop'] as const) {
      const payload =
        event === 'listen:connect'
          ? {
              callId: liveBrooklyn,
              dtlsParameters: {
                role: 'client',
                fingerprints: [{ algorithm: 'sha-256', value: 'AA' }],
              },
            }
          : { callId: liveBrooklyn };
      expect(await ask(lead, event, payload), event).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
    }
    expect(
      await ask(lead, 'tag:create', {
        callId: liveBrooklyn,
        tag: { offsetMs: 0, label: 'praise', leg: 'both' },
      }),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await ask(lead, 'kpi:subscribe', { scope: 'team:bk-billing' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    const board = await ask<{ calls: Call[] }>(lead, 'board:subscribe', {});
    expect(board.ok && board.data.calls.map((c) => c.id)).not.toContain(liveBrooklyn);

    // Activity on the Brooklyn call reaches the exec, not the lead.
    const execSaw: string[] = [];
    exec.on('tag:created', (tag) => execSaw.push(tag.callId));
    await ask(exec, 'tag:create', {
      callId: liveBrooklyn,
      tag: { offsetMs: 0, label: 'praise', leg: 'both' },
    });
    await eventually(() => (execSaw.length ? true : undefined), 2000, 'the exec sees the tag');
    expect(leaked).toEqual([]);
    expect(t.server.earshot.listen.sessions).toBe(transportsBefore);
    expect(t.server.earshot.listen.listenersOf(liveBrooklyn).map((p) => p.name)).toEqual([
      'Dana Exec',
    ]);
    // The exec's tag is the only change.
    expect((await t.server.snapshot()).length).toBeGreaterThan(before.length);
    await ask(exec, 'listen:stop', { callId: liveBrooklyn });
  });

  it('QA reviewers and admins may not listen live nor open the board', async () => {
    for (const user of ['qa', 'admin'] as const) {
      const client = await open(user);
      const caps = await capabilities(client);
      expect(
        await ask(client, 'listen:start', { callId: liveBrooklyn, rtpCapabilities: caps }),
        user,
      ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await ask(client, 'board:subscribe', {}), user).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    }
    expect(t.server.earshot.listen.sessions).toBe(0);
  });

  it('the board of a team lead carries only their team’s calls, with numbers masked', async () => {
    const lead = await open('lead-bk');
    const updates: BoardUpdate[] = [];
    lead.on('board:update', (u) => updates.push(u));
    const snapshot = await ask<{ calls: Call[] }>(lead, 'board:subscribe', {});
    if (!snapshot.ok) throw new Error(snapshot.error.message);
    expect(snapshot.data.calls.map((c) => c.id)).toEqual([liveBrooklyn]);
    expect(snapshot.data.calls[0]!.customer.number).toBe('+1••••••0142');
    const other = await t.server.createCall('PCMU');
    const mine = await t.server.createCall('PCMU', BROOKLYN);
    await eventually(
      () => (updates.some((u) => u.upserts.some((c) => c.id === mine.callId)) ? true : undefined),
      3000,
      'own call on the board',
    );
    await t.server.api('DELETE', `/api/v1/calls/${other.callId}`);
    await t.server.api('DELETE', `/api/v1/calls/${mine.callId}`);
    await eventually(
      () => (updates.some((u) => u.ended.includes(mine.callId)) ? true : undefined),
      3000,
      'own call ended',
    );
    const seen = JSON.stringify(updates);
    expect(seen).not.toContain(other.callId);
  });
});

describe('rights withdrawn', () => {
  it('a team lead moved off a team loses the call’s consumers at once, and is told', async () => {
    const { callId } = await t.server.createCall('PCMU');
    const lead = await open('lead');
    const ended: [string, ListenEndReason][] = [];
    let changed = 0;
    lead.on('listen:ended', (e) => ended.push([e.callId, e.reason]));
    lead.on('session:changed', () => changed++);
    await startListening(lead, callId);
    expect(t.server.earshot.listen.sessions).toBe(1);

    const patch = await t.server.api(
      'PATCH',
      `/api/v1/users/${t.server.userId('lead')}`,
      { roles: [{ role: 'teamLead', teams: ['bk-billing'] }] },
      { as: 'admin' },
    );
    expect(patch.status).toBe(200);
    await eventually(() => (ended.length ? true : undefined), 1000, 'listen:ended');
    expect(ended).toEqual([[callId, 'revoked']]);
    expect(t.server.earshot.listen.sessions).toBe(0);
    expect(changed).toBe(1);
    const caps = await capabilities(lead);
    expect(await ask(lead, 'listen:start', { callId, rtpCapabilities: caps })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    await t.server.api(
      'PATCH',
      `/api/v1/users/${t.server.userId('lead')}`,
      { roles: [{ role: 'teamLead', teams: ['mpls-care-1'] }] },
      { as: 'admin' },
    );
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
  });

  it('a deleted user is disconnected at once; a signed-out session closes its sockets', async () => {
    const made = await t.server.api<{ id: string }>(
      'POST',
      '/api/v1/users',
      { username: 'temp-exec', password: 'temp-password-1', roles: [{ role: 'executive' }] },
      { as: 'admin' },
    );
    const cookie = await signInAt(t.server.earshot.url, 'temp-exec', 'temp-password-1');
    const client = await connectConsole(t.server.earshot.url, cookie);
    clients.push(client);
    const { callId } = await t.server.createCall('PCMU');
    await startListening(client, callId);
    const endedWith: string[] = [];
    client.on('session:ended', (e) => endedWith.push(e.reason));
    await t.server.api('DELETE', `/api/v1/users/${made.body.id}`, undefined, { as: 'admin' });
    await eventually(() => (client.disconnected ? true : undefined), 1000, 'disconnected');
    expect(endedWith).toEqual(['removed']);
    expect(t.server.earshot.listen.listenersOf(callId)).toEqual([]);
    await expect(connectConsole(t.server.earshot.url, cookie)).rejects.toThrow('unauthorized');

    const qa = await open('qa-bk');
    const reasons: string[] = [];
    qa.on('session:ended', (e) => reasons.push(e.reason));
    const out = await t.server.api('POST', '/api/v1/auth/logout', undefined, { as: 'qa-bk' });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/earshot_session=;.*Max-Age=0/);
    await eventually(() => (qa.disconnected ? true : undefined), 1000, 'signed out');
    expect(reasons).toEqual(['signed-out']);
    expect((await t.server.api('GET', '/api/v1/auth/me', undefined, { as: 'qa-bk' })).status).toBe(
      401,
    );
    await t.server.signIn('qa-bk');
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
  });
});
