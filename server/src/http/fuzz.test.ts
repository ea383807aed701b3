// Hostile input: thousands of random and malformed requests and socket messages, from
// every kind of caller. Nothing may answer 5xx, crash, or change what is stored.
import { request as httpRequest } from 'node:http';
import type { ClientToServerEvents } from '@earshot/shared';
import { describe, expect, it } from 'vitest';
import type { ConsoleClient } from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';
import { TEST_TOKEN, type TestUser } from '../test/harness.ts';

const t = useTestServer({ EARSHOT_CALL_IDLE_TIMEOUT_MS: '3600000' });

/** A seeded generator: a failure names its seed and can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

// Field names the schemas know, so that the fuzz reaches past the first check.
const KEYS = [
  'answers',
  'formId',
  'definition',
  'decision',
  'disputeWindowDays',
  'username',
  'password',
  'roles',
  'role',
  'teams',
  'centers',
  'name',
  'callId',
  'offsetMs',
  'endMs',
  'label',
  'leg',
  'note',
  'reviewed',
  'coached',
  'body',
  'tagId',
  'events',
  'id',
  'type',
  'at',
  'scope',
  'metric',
  'window',
  'value',
  'center',
  'region',
  'team',
  'agent',
  'customer',
  'codec',
  'payloadType',
  'rtpCapabilities',
  'dtlsParameters',
  'codecs',
  'tag',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '',
];
const STRINGS = [
  '',
  ' ',
  'admin',
  'executive',
  'teamLead',
  'qa',
  'mpls-care-1',
  'bk-billing',
  'org',
  'team:bk-billing',
  'call:x',
  'PCMU',
  'opus',
  'agent',
  'both',
  'praise',
  '1h',
  'today',
  '00000000-0000-4000-8000-000000000000',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '\ud800',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${7*7}',
  '=cmd|calc',
  'é'.repeat(50),
  'x'.repeat(5000),
  '2026-13-45T99:99:99Z',
  'NaN',
  '-1',
  '1e309',
  'true',
  'null',
];

function value(r: Rng, depth: number): unknown {
  switch (r.int(depth > 4 ? 6 : 9)) {
    case 0:
      return r.pick(STRINGS);
    case 1:
      return r.pick([0, -1, 1, 1.5, 2 ** 31, -(2 ** 53), Number.MAX_VALUE, 1e-300]);
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return String.fromCharCode(...Array.from({ length: r.int(40) }, () => r.int(0x3000)));
    case 4:
      return r.int(1e9);
    case 5:
      return r.pick(STRINGS).repeat(r.int(3));
    case 6:
      return Array.from({ length: r.int(6) }, () => value(r, depth + 1));
    default:
      return object(r, depth + 1);
  }
}

function object(r: Rng, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = r.int(6); i > 0; i--) {
    const key = r.pick(KEYS);
    // Defined as own properties, as JSON.parse would: a "__proto__" key included.
    Object.defineProperty(o, key, {
      value: value(r, depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  // NOTE: every schema of a change is strict, so an unknown key makes any body invalid:
  // whatever else the fuzz makes, a stored change can only come from a validation hole.
  o[`fuzz${r.int(1e6)}`] = value(r, depth);
  return o;
}

/** A body: valid-looking JSON of every shape, broken JSON, or something else entirely. */
function body(r: Rng): { raw: string; type: string } {
  const roll = r.next();
  if (roll < 0.6) return { raw: JSON.stringify(object(r, 0)), type: 'application/json' };
  if (roll < 0.7) return { raw: JSON.stringify(value(r, 0)), type: 'application/json' };
  if (roll < 0.8)
    return { raw: JSON.stringify(object(r, 0)).slice(0, -1 - r.int(5)), type: 'application/json' };
  if (roll < 0.85) return { raw: '['.repeat(5000), type: 'application/json' };
  if (roll < 0.9) return { raw: `{"a":"${'x'.repeat(70_000)}"}`, type: 'application/json' };
  if (roll < 0.95)
    return { raw: 'username=admin&password=x', type: 'application/x-www-form-urlencoded' };
  return {
    raw: String.fromCharCode(...Array.from({ length: r.int(200) }, () => r.int(256))),
    type: r.pick(['text/plain', 'application/json; charset=utf-16', 'multipart/form-data']),
  };
}

/** Percent-encodes, or sends a broken escape where the string has a lone surrogate. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};

const UUID = '11111111-2222-4333-8444-555555555555';
/** Every route, with `:id` filled in by the fuzz. */
const ROUTES: [string, string][] = [
  ['GET', '/api/v1/auth/config'],
  ['POST', '/api/v1/auth/login'],
  ['GET', '/api/v1/auth/me'],
  ['GET', '/api/v1/users'],
  ['POST', '/api/v1/users'],
  ['GET', '/api/v1/users/:id'],
  ['PATCH', '/api/v1/users/:id'],
  ['DELETE', '/api/v1/users/:id'],
  ['GET', '/api/v1/tokens'],
  ['POST', '/api/v1/tokens'],
  ['DELETE', '/api/v1/tokens/:id'],
  ['GET', '/api/v1/audit'],
  ['GET', '/api/v1/audit/verify'],
  ['GET', '/api/v1/org'],
  ['PUT', '/api/v1/org'],
  ['POST', '/api/v1/calls'],
  ['GET', '/api/v1/calls'],
  ['GET', '/api/v1/calls/:id'],
  ['DELETE', '/api/v1/calls/:id'],
  ['GET', '/api/v1/calls/:id/recording'],
  ['GET', '/api/v1/labels'],
  ['POST', '/api/v1/labels'],
  ['GET', '/api/v1/calls/:id/tags'],
  ['POST', '/api/v1/calls/:id/tags'],
  ['GET', '/api/v1/tags'],
  ['PATCH', '/api/v1/tags/:id'],
  ['DELETE', '/api/v1/tags/:id'],
  ['GET', '/api/v1/recordings'],
  ['GET', '/api/v1/calls/:id/review'],
  ['PUT', '/api/v1/calls/:id/review'],
  ['POST', '/api/v1/calls/:id/comments'],
  ['POST', '/api/v1/events'],
  ['POST', '/api/v1/kpis/reported'],
  ['GET', '/api/v1/kpis/:id'],
  ['GET', '/api/v1/kpis/:id/history'],
  ['GET', '/api/v1/qa/forms'],
  ['POST', '/api/v1/qa/forms'],
  ['PUT', '/api/v1/qa/forms/:id'],
  ['POST', '/api/v1/qa/forms/:id/publish'],
  ['PUT', '/api/v1/qa/settings'],
  ['POST', '/api/v1/calls/:id/evaluations'],
  ['GET', '/api/v1/evaluations'],
  ['GET', '/api/v1/evaluations/:id'],
  ['PUT', '/api/v1/evaluations/:id/draft'],
  ['POST', '/api/v1/evaluations/:id/submit'],
  ['POST', '/api/v1/evaluations/:id/dispute'],
  ['POST', '/api/v1/evaluations/:id/resolve'],
  ['POST', '/api/v1/qa/plans'],
  ['POST', '/api/v1/qa/plans/:id/draws'],
  ['POST', '/api/v1/qa/calibrations'],
  ['GET', '/api/v1/qa/results'],
  ['GET', '/healthz'],
  ['GET', '/api/v1/nowhere'],
  ['OPTIONS', '/api/v1/calls'],
];

/** A raw HTTP request (fetch would refuse some of what is sent here). */
function send(method: string, path: string, headers: Record<string, string>, payload?: string) {
  const url = new URL(t.server.earshot.url);
  return new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          ...headers,
          ...(payload === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(payload)) }),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const CALLERS: (TestUser | 'token' | 'nobody')[] = [
  'exec',
  'lead',
  'qa',
  'qa-lead',
  'agent',
  'admin',
  'token',
  'nobody',
];

describe('hostile input', () => {
  it('thousands of random and malformed requests at every route: no 5xx, no crash, nothing stored', async () => {
    const { callId } = await t.server.createCall('PCMU');
    const tag = await t.server.api<{ id: string }>('POST', `/api/v1/calls/${callId}/tags`, {
      offsetMs: 0,
      label: 'praise',
      leg: 'both',
    });
    const ids = [
      callId,
      tag.body.id,
      t.server.userId('lead'),
      UUID,
      'not-an-id',
      '%E0%A4%A',
      '..%2F..%2Fetc',
      'x'.repeat(3000),
      'team:bk-billing',
      '%00',
    ];
    const cookies = new Map<string, string>();
    for (const user of ['exec', 'lead', 'qa', 'qa-lead', 'agent', 'admin'] as const)
      cookies.set(user, await t.server.cookie(user));
    const before = await t.server.snapshot();
    const r = rng(20261123);
    const statuses = new Map<number, number>();
    const fives: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const [method, template] = r.pick(ROUTES);
      const caller = r.pick(CALLERS);
      // A bodiless DELETE of a real id by its rightful caller is a real request: the
      // fuzz deletes only what does not exist.
      let path = template.replace(':id', r.pick(method === 'DELETE' ? ids.slice(3) : ids));
      if (r.next() < 0.3)
        path += `?${Array.from({ length: r.int(4) + 1 }, () => `${encode(r.pick(KEYS))}${r.next() < 0.2 ? '[]' : ''}=${encode(JSON.stringify(value(r, 3)) ?? '')}`).join('&')}`;
      const headers: Record<string, string> = {};
      if (caller === 'token') headers.authorization = `Bearer ${TEST_TOKEN}`;
      else if (caller !== 'nobody') headers.cookie = cookies.get(caller)!;
      if (r.next() < 0.9) headers.origin = t.server.earshot.url;
      if (r.next() < 0.05)
        headers.range = r.pick([
          'bytes=0-',
          'bytes=-5',
          'bytes=99999999-',
          'bytes=a-b',
          'bytes=0-1,2-3',
        ]);
      let payload: string | undefined;
      if (method !== 'GET' && method !== 'OPTIONS') {
        const b = body(r);
        payload = b.raw;
        headers['content-type'] = b.type;
      }
      const status = await send(method, path, headers, payload);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500)
        fives.push(`${status} ${caller} ${method} ${path.slice(0, 120)} ${payload?.slice(0, 200)}`);
    }
    expect(fives).toEqual([]);
    // The fuzz reached every kind of answer, not only the first refusal.
    expect([...statuses.keys()].sort()).toEqual(
      expect.arrayContaining([200, 400, 401, 403, 404, 413]),
    );
    expect(await t.server.snapshot()).toBe(before);
    expect((await t.server.api('GET', '/healthz')).status).toBe(200);
    expect(
      (await t.server.api('GET', '/api/v1/audit/verify', undefined, { as: 'admin' })).body,
    ).toMatchObject({ ok: true });
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
  }, 120_000);

  it('thousands of random socket messages at every event: acks, no crash, nothing stored', async () => {
    const { callId } = await t.server.createCall('PCMU');
    const events: (keyof ClientToServerEvents | string)[] = [
      'board:subscribe',
      'board:unsubscribe',
      'session:hello',
      'media:capabilities',
      'listen:start',
      'listen:connect',
      'listen:resume',
      'listen:stop',
      'session:time',
      'kpi:subscribe',
      'kpi:unsubscribe',
      'tag:create',
      'no:such-event',
      'error',
      'hasOwnProperty',
      '__proto__',
    ];
    const known = new Set<string>(events.slice(0, 12));
    const before = await t.server.snapshot();
    const r = rng(1123);
    const sockets = new Map<TestUser, ConsoleClient>();
    const socketOf = async (user: TestUser) => {
      let socket = sockets.get(user);
      if (!socket || socket.disconnected) {
        socket = await t.server.console(user);
        sockets.set(user, socket);
      }
      return socket;
    };
    let acked = 0;
    let oversized = 0;
    const unanswered: string[] = [];
    let internal = 0;
    for (let i = 0; i < 2000; i++) {
      const socket = await socketOf(r.pick(['exec', 'lead', 'qa', 'admin'] as const));
      const event = r.pick(events);
      const payload =
        r.next() < 0.2 ? { callId, ...object(r, 1) } : r.next() < 0.5 ? object(r, 0) : value(r, 0);
      const emit = socket.emit as (e: string, ...args: unknown[]) => void;
      if (r.next() < 0.15) {
        // No ack, extra arguments, or an oversized frame (the server closes that socket).
        if (r.next() < 0.8) {
          emit.call(socket, event, payload, 'extra', 42);
          continue;
        }
        const closed = new Promise((resolve) => socket.once('disconnect', resolve));
        emit.call(socket, event, { big: 'x'.repeat(70_000) });
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
        expect(socket.disconnected, 'an oversized frame closes the socket').toBe(true);
        oversized++;
        continue;
      }
      const reply = await new Promise<{ ok: boolean; error?: { code: string } } | undefined>(
        (resolve) => {
          // Unknown events are never answered: a short wait for those.
          const timer = setTimeout(() => resolve(undefined), known.has(event) ? 2000 : 50);
          emit.call(socket, event, payload, (ack: { ok: boolean; error?: { code: string } }) => {
            clearTimeout(timer);
            resolve(ack);
          });
        },
      );
      if (reply) acked++;
      else if (known.has(event)) unanswered.push(event);
      if (reply?.error?.code === 'internal') internal++;
    }
    for (const socket of sockets.values()) socket.close();
    expect(internal).toBe(0);
    expect(unanswered).toEqual([]);
    expect(oversized).toBeGreaterThan(10);
    expect(acked).toBeGreaterThan(1000);
    expect(await t.server.snapshot()).toBe(before);
    expect(t.server.earshot.listen.sessions).toBe(0);
    expect((await t.server.api('GET', '/healthz')).status).toBe(200);
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
  }, 120_000);
});
