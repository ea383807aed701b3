import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiErrorBody, Call, Org } from '@earshot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  METRICS_AUTH,
  startTestServer,
  TEST_ORG,
  TEST_TOKEN,
  type TestServer,
} from '../test/harness.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

const goodCall = {
  externalId: 'acd-1001',
  center: 'mn-minneapolis',
  region: 'upper-midwest',
  team: 'mpls-care-1',
  agent: { id: 'a-olsen', name: 'Kari Olsen' },
  customer: { number: '+16125550142', name: 'Pat Doe' },
  codec: 'PCMU',
};

const liveCalls = async () =>
  (await server.api<{ calls: Call[] }>('GET', '/api/v1/calls')).body.calls;

describe('POST /api/v1/calls input checks', () => {
  it.each<
    [
      string,
      { body?: unknown; raw?: string; token?: string | null },
      number,
      string,
      string | undefined,
    ]
  >([
    ['malformed JSON', { raw: '{"center": "mn-minneapolis",' }, 400, 'bad_request', undefined],
    ['a body that is not an object', { raw: '[1,2,3]' }, 400, 'validation_failed', '(body)'],
    [
      'a missing field',
      { body: { ...goodCall, agent: undefined } },
      400,
      'validation_failed',
      'agent',
    ],
    [
      'an unknown field',
      { body: { ...goodCall, priority: 'high' } },
      400,
      'validation_failed',
      '(body)',
    ],
    [
      'an unknown nested field',
      { body: { ...goodCall, agent: { id: 'a-olsen', name: 'K', badge: 7 } } },
      400,
      'validation_failed',
      'agent',
    ],
    [
      'an unknown codec',
      { body: { ...goodCall, codec: 'G729' } },
      400,
      'validation_failed',
      'codec',
    ],
    [
      'a payload type outside the codec',
      { body: { ...goodCall, codec: 'opus', payloadType: 8 } },
      400,
      'validation_failed',
      'payloadType',
    ],
    [
      'a bad phone number',
      { body: { ...goodCall, customer: { number: 'call me' } } },
      400,
      'validation_failed',
      'customer.number',
    ],
    ['an unknown team', { body: { ...goodCall, team: 'nope' } }, 400, 'validation_failed', 'team'],
    [
      'a team of another center',
      { body: { ...goodCall, team: 'bk-billing' } },
      400,
      'validation_failed',
      'team',
    ],
    [
      'a region that is not the center’s',
      { body: { ...goodCall, region: 'new-york-city' } },
      400,
      'validation_failed',
      'region',
    ],
    ['no token', { body: goodCall, token: null }, 401, 'unauthorized', undefined],
    [
      'a wrong token',
      { body: goodCall, token: 'not-the-token-at-all' },
      401,
      'unauthorized',
      undefined,
    ],
    [
      'an oversized body',
      { raw: JSON.stringify({ ...goodCall, externalId: 'x'.repeat(100_000) }) },
      413,
      'payload_too_large',
      undefined,
    ],
  ])(
    '%s gets a %i naming the problem and creates nothing',
    async (_name, request, status, code, path) => {
      const res = await server.api<ApiErrorBody>('POST', '/api/v1/calls', request.body, {
        ...(request.raw === undefined ? {} : { raw: request.raw }),
        ...(request.token === undefined ? {} : { token: request.token }),
      });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).not.toMatch(/at .*\.ts|stack/i);
      if (path) expect(res.body.error.issues?.map((i) => i.path)).toContain(path);
      if (code === 'validation_failed' && path === '(body)' && request.body) {
        expect(res.body.error.issues?.[0]?.message).toMatch(/priority|Unrecognized/i);
      }
      expect(await liveCalls()).toHaveLength(0);
    },
  );

  it('answers 201 with a port per leg, and 409 for a second live call with the same externalId', async () => {
    const first = await server.api<{
      callId: string;
      legs: Record<string, { ip: string; port: number }>;
    }>('POST', '/api/v1/calls', goodCall);
    expect(first.status).toBe(201);
    expect(first.body.legs.agent).toEqual({ ip: '127.0.0.1', port: expect.any(Number) });
    expect(first.body.legs.customer!.port).not.toBe(first.body.legs.agent!.port);
    const [again, twin] = await Promise.all([
      server.api<ApiErrorBody>('POST', '/api/v1/calls', goodCall),
      server.api<ApiErrorBody>('POST', '/api/v1/calls', goodCall),
    ]);
    expect([again.status, twin.status]).toEqual([409, 409]);
    expect(again.body.error.message).toContain(first.body.callId);
    expect(await liveCalls()).toHaveLength(1);
    expect((await server.api('DELETE', `/api/v1/calls/${first.body.callId}`)).status).toBe(200);
  });

  it('answers 404 for unknown calls and routes', async () => {
    expect(
      (await server.api('GET', '/api/v1/calls/00000000-0000-4000-8000-000000000000')).status,
    ).toBe(404);
    expect((await server.api('GET', '/api/v1/calls/..%2F..%2Fetc')).status).toBe(404);
    expect((await server.api('DELETE', '/api/v1/calls/not-an-id')).status).toBe(404);
    const unknown = await server.api<ApiErrorBody>('GET', '/api/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });
});

describe('organisation', () => {
  it('serves the declared organisation', async () => {
    const res = await server.api<Org>('GET', '/api/v1/org');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(TEST_ORG);
  });

  it('rejects an inconsistent organisation with every bad reference, and keeps the old one', async () => {
    const bad: Org = {
      ...TEST_ORG,
      centers: [
        ...TEST_ORG.centers,
        { id: 'mars-1', name: 'Mars', regionId: 'olympus', timeZone: 'Mars/Olympus_Mons' },
      ],
      teams: [
        ...TEST_ORG.teams,
        {
          id: 'ghost',
          name: 'Ghost Team',
          centerId: 'nowhere',
          specialty: false,
          hours: { kind: 'always' },
        },
      ],
      agents: [...TEST_ORG.agents, TEST_ORG.agents[0]!],
    };
    const res = await server.api<ApiErrorBody>('PUT', '/api/v1/org', bad, { as: 'admin' });
    expect(res.status).toBe(400);
    const paths = res.body.error.issues!.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'centers.2.timeZone',
        'centers.2.regionId',
        'teams.2.centerId',
        'agents',
      ]),
    );
    expect((await server.api<Org>('GET', '/api/v1/org')).body).toEqual(TEST_ORG);
  });

  it('is changed by an admin only: neither another role nor an ingest token may', async () => {
    expect((await server.api('PUT', '/api/v1/org', TEST_ORG, { as: null })).status).toBe(401);
    expect((await server.api('PUT', '/api/v1/org', TEST_ORG, { as: 'exec' })).status).toBe(403);
    expect((await server.api('PUT', '/api/v1/org', TEST_ORG, { as: 'admin' })).status).toBe(200);
  });
});

describe('health and metrics', () => {
  it('reports health with the worker count to operators, and only up or down to anyone else', async () => {
    const res = await server.api<{ status: string; workers: number }>(
      'GET',
      '/healthz',
      undefined,
      {
        as: 'admin',
      },
    );
    expect(res).toMatchObject({ status: 200, body: { status: 'ok', workers: 1, calls: 0 } });
    const token = await fetch(`${server.earshot.url}/healthz`, { headers: METRICS_AUTH });
    expect(await token.json()).toMatchObject({ status: 'ok', reasons: [], workers: 1, calls: 0 });
    for (const as of [null, 'exec'] as const) {
      const anyone = await server.api('GET', '/healthz', undefined, { as, token: null });
      expect(anyone).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(Object.keys(anyone.body as object)).toEqual(['status']);
    }
  });

  it('keeps metrics (who listens, how many calls) from anyone without the metrics token or an admin session', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: `Bearer ${TEST_TOKEN}` },
    ]) {
      const res = await fetch(`${server.earshot.url}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toMatch(/earshot_listeners/);
    }
    const exec = await fetch(`${server.earshot.url}/metrics`, {
      headers: { cookie: await server.cookie('exec') },
    });
    expect(exec.status).toBe(401);
    const admin = await fetch(`${server.earshot.url}/metrics`, {
      headers: { cookie: await server.cookie('admin') },
    });
    expect(admin.status).toBe(200);
    expect(admin.headers.get('cache-control')).toBe('no-store');
  });

  it('exposes Prometheus metrics for workers, calls, legs and packets', async () => {
    const { callId } = await server.createCall('PCMU');
    const text = await (
      await fetch(`${server.earshot.url}/metrics`, { headers: METRICS_AUTH })
    ).text();
    expect(text).toMatch(/^earshot_mediasoup_workers 1$/m);
    expect(text).toMatch(/^earshot_calls_live 1$/m);
    expect(text).toMatch(/^earshot_legs_live 2$/m);
    expect(text).toMatch(/^earshot_rtp_packets_total \d+$/m);
    expect(text).toMatch(/^earshot_rtp_dropped_total \d+$/m);
    await server.api('DELETE', `/api/v1/calls/${callId}`);
    const after = await (
      await fetch(`${server.earshot.url}/metrics`, { headers: METRICS_AUTH })
    ).text();
    expect(after).toMatch(/^earshot_calls_live 0$/m);
    expect(after).toMatch(/^earshot_calls_ended_total\{reason="hangup"\} [1-9]\d*$/m);
  });
});

describe('hardening', () => {
  it('sends security headers that forbid the microphone and foreign code', async () => {
    const res = await fetch(`${server.earshot.url}/healthz`);
    expect(res.headers.get('permissions-policy')).toContain('microphone=()');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('refuses a console socket opened from another origin', async () => {
    const poll = (origin?: string) =>
      fetch(`${server.earshot.url}/socket.io/?EIO=4&transport=polling`, {
        headers: origin ? { origin } : {},
      });
    expect((await poll()).status).toBe(200);
    expect((await poll(server.earshot.url)).status).toBe(200);
    expect((await poll('https://evil.example')).status).toBe(403);
  });

  it('answers only to its own host names: a rebound DNS name is refused, API and socket alike', async () => {
    const { port } = new URL(server.earshot.url);
    const get = (path: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: Number(port),
            path,
            headers: { host, origin: `http://${host}` },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await get('/api/v1/org', `evil.example:${port}`)).toBe(421);
    expect(await get('/socket.io/?EIO=4&transport=polling', `evil.example:${port}`)).not.toBe(200);
    expect(await get('/api/v1/auth/config', `localhost:${port}`)).toBe(200);
    expect(await get('/api/v1/auth/config', `127.0.0.1:${port}`)).toBe(200);
  });

  it('keeps API answers out of caches and the console source maps off the wire', async () => {
    const me = await fetch(`${server.earshot.url}/api/v1/auth/me`, {
      headers: { cookie: await server.cookie('exec') },
    });
    expect(me.headers.get('cache-control')).toBe('no-store');
    const config = await fetch(`${server.earshot.url}/api/v1/auth/config`);
    expect(config.headers.get('cache-control')).toBe('no-store');
    // A console bundle with its source map beside it: the bundle is served, the map is not.
    const dist = mkdtempSync(join(tmpdir(), 'earshot-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Earshot</title>');
    writeFileSync(join(dist, 'assets', 'index-x.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'index-x.js.map'), '{"version":3}');
    const withBundle = await startTestServer({}, { clientDist: dist });
    try {
      expect((await fetch(`${withBundle.earshot.url}/assets/index-x.js`)).status).toBe(200);
      expect((await fetch(`${withBundle.earshot.url}/assets/index-x.js.map`)).status).toBe(404);
    } finally {
      await withBundle.close();
      rmSync(dist, { recursive: true, force: true });
    }
  });
});
