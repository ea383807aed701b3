import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreatedIngestToken, Me, User } from '@earshot/shared';
import { describe, expect, it } from 'vitest';
import { connectConsole } from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';
import { signInAt, spawnServer, TEST_CALL, TEST_PASSWORD } from '../test/harness.ts';
import { maskNumber } from './Access.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

const t = useTestServer();
const login = (username: string, password: string, origin?: string) =>
  t.server.api<Me>(
    'POST',
    '/api/v1/auth/login',
    { username, password },
    { as: null, token: null, ...(origin ? { origin } : {}) },
  );

describe('passwords', () => {
  it('are stored as salted scrypt hashes that only the password opens', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    const stored = await t.server.earshot.db.all<{ password_hash: string }>(
      'SELECT password_hash FROM users',
    );
    expect(stored.every((u) => u.password_hash.startsWith('scrypt$'))).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(TEST_PASSWORD);
  });

  it('masks all but the last four digits of customer numbers', () => {
    expect(maskNumber('+16125550142')).toBe('+1••••••0142');
    expect(maskNumber('612 555 0142')).toBe('••• ••• 0142');
    expect(maskNumber('0142')).toBe('0142');
  });
});

describe('signing in', () => {
  it('sets an httpOnly, SameSite session cookie that expires; me says who and what; sign-out ends it', async () => {
    const res = await login('lead', TEST_PASSWORD);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      /^earshot_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Expires=/,
    );
    expect(cookie).not.toContain('Secure'); // plain HTTP here; behind TLS it is Secure
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!);
    expect(expires - Date.now()).toBeGreaterThan(11.9 * 3_600_000);
    expect(expires - Date.now()).toBeLessThan(12.1 * 3_600_000);
    expect(res.body.user).toMatchObject({ username: 'lead', name: 'Lee Lead' });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    expect(res.body.capabilities).toEqual({
      listen: true,
      review: true,
      admin: false,
      customerNumbers: false,
      teams: ['mpls-care-1'],
      centers: null,
      evaluate: false,
      qaLead: false,
      agent: null,
    });
    const session = cookie.split(';')[0]!;
    const me = await fetch(`${t.server.earshot.url}/api/v1/auth/me`, {
      headers: { cookie: session },
    });
    expect(me.status).toBe(200);
    // The token is stored only as its hash.
    const rows = await t.server.earshot.db.all<{ id_hash: string }>('SELECT id_hash FROM sessions');
    expect(JSON.stringify(rows)).not.toContain(session.split('=')[1]);

    const out = await fetch(`${t.server.earshot.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie: session, origin: t.server.earshot.url },
    });
    expect(out.status).toBe(204);
    expect(
      (await fetch(`${t.server.earshot.url}/api/v1/auth/me`, { headers: { cookie: session } }))
        .status,
    ).toBe(401);
  });

  it('refuses wrong passwords and unknown users alike, and an expired session', async () => {
    const wrong = await login('exec', 'not-the-password');
    const unknown = await login('nobody-here', 'not-the-password');
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.body).toEqual(unknown.body);
    const cookie = await signInAt(t.server.earshot.url, 'exec', TEST_PASSWORD);
    const socket = await connectConsole(t.server.earshot.url, cookie);
    const reasons: string[] = [];
    socket.on('session:ended', (e) => reasons.push(e.reason));
    await t.server.earshot.db.run('UPDATE sessions SET expires_at = ?', [
      new Date(Date.now() - 1000).toISOString(),
    ]);
    const me = await fetch(`${t.server.earshot.url}/api/v1/auth/me`, { headers: { cookie } });
    expect(me.status).toBe(401);
    // The sweep (every 30 s) closes the sockets of expired sessions.
    await t.server.earshot.auth.sweep();
    await expect.poll(() => socket.disconnected, { timeout: 1000 }).toBe(true);
    expect(reasons).toEqual(['expired']);
    // Every session expired: the harness's ones too.
    for (const user of ['exec', 'lead', 'qa', 'admin', 'qa-bk', 'lead-bk'] as const)
      await t.server.signIn(user);
  });

  it('limits failed attempts per address and username: the sixth is refused even with the right password', async () => {
    for (let i = 0; i < 5; i++) expect((await login('qa-bk', `wrong-${i}`)).status).toBe(401);
    const blocked = await login('qa-bk', TEST_PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(800);
    // Another user from the same address is not locked out by it.
    expect((await login('lead-bk', TEST_PASSWORD)).status).toBe(200);
    const audit = await t.server.api<{
      records: { action: string; details: { reason?: string } }[];
    }>('GET', '/api/v1/audit?action=auth.login_failed&actor=qa-bk', undefined, { as: 'admin' });
    expect(audit.body.records.map((r) => r.details.reason)).toEqual([
      'rate_limited',
      ...Array(5).fill('wrong_password'),
    ]);
  });

  it('refuses cookie-authenticated changes and sign-ins from another origin (CSRF), changing nothing', async () => {
    const before = await t.server.snapshot();
    const evil = { origin: 'https://evil.example' };
    const label = { name: 'Cross site' };
    expect(
      (await t.server.api('POST', '/api/v1/labels', label, { origin: evil.origin })).status,
    ).toBe(403);
    expect((await t.server.api('POST', '/api/v1/labels', label, { origin: null })).status).toBe(
      403,
    );
    expect(
      (await t.server.api('POST', '/api/v1/tokens', { name: 'x' }, { as: 'admin', origin: 'null' }))
        .status,
    ).toBe(403);
    expect((await login('exec', TEST_PASSWORD, evil.origin)).status).toBe(403);
    expect(await t.server.snapshot()).toBe(before);
    expect((await t.server.api('POST', '/api/v1/labels', label)).status).toBe(201);
    // Integrations with a bearer token and no cookie send no Origin, and need none.
    const call = await t.server.api('POST', '/api/v1/calls', TEST_CALL, { as: null, origin: null });
    expect(call.status).toBe(201);
    await t.server.api(
      'DELETE',
      `/api/v1/calls/${(call.body as { callId: string }).callId}`,
      undefined,
      { as: null, origin: null },
    );
  });

  it('never leaks a stack trace', async () => {
    const res = await t.server.api<{ error: { message: string } }>(
      'POST',
      '/api/v1/auth/login',
      undefined,
      {
        as: null,
        raw: '{"username": ',
      },
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
  });
});

describe('people and credentials', () => {
  it('admins create users with scoped roles, checked against the organisation; the last admin stays', async () => {
    const bad = await t.server.api<{ error: { issues: { path: string }[] } }>(
      'POST',
      '/api/v1/users',
      {
        username: 'pat',
        password: 'pat-password-1',
        roles: [
          { role: 'teamLead', teams: ['no-such-team'] },
          { role: 'qa', centers: ['atlantis'] },
        ],
      },
      { as: 'admin' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i) => i.path)).toEqual([
      'roles.0.teams.0',
      'roles.1.centers.0',
    ]);
    for (const [body, status] of [
      [{ username: 'pat', password: 'short', roles: [] }, 400],
      [{ username: 'Pat!', password: 'pat-password-1', roles: [] }, 400],
      [{ username: 'exec', password: 'pat-password-1', roles: [] }, 409],
      [{ username: 'pat', password: 'pat-password-1', roles: [{ role: 'boss' }] }, 400],
    ] as const) {
      const res = await t.server.api('POST', '/api/v1/users', body, { as: 'admin' });
      expect(res.status, JSON.stringify(body)).toBe(status);
    }
    const made = await t.server.api<User>(
      'POST',
      '/api/v1/users',
      {
        username: 'pat',
        name: 'Pat Lead',
        password: 'pat-password-1',
        roles: [{ role: 'teamLead', teams: ['mpls-care-1', 'bk-billing'] }],
      },
      { as: 'admin' },
    );
    expect(made.status).toBe(201);
    expect((await signInAt(t.server.earshot.url, 'pat', 'pat-password-1')).length).toBeGreaterThan(
      20,
    );
    const listed = (
      await t.server.api<{ users: User[] }>('GET', '/api/v1/users', undefined, { as: 'admin' })
    ).body.users;
    expect(listed.find((u) => u.username === 'pat')).toMatchObject({
      name: 'Pat Lead',
      demo: false,
    });
    expect(JSON.stringify(listed)).not.toContain('scrypt');

    const adminId = t.server.userId('admin');
    expect(
      (
        await t.server.api(
          'PATCH',
          `/api/v1/users/${adminId}`,
          { roles: [{ role: 'executive' }] },
          { as: 'admin' },
        )
      ).status,
    ).toBe(409);
    expect(
      (await t.server.api('DELETE', `/api/v1/users/${adminId}`, undefined, { as: 'admin' })).status,
    ).toBe(409);
    expect(
      (await t.server.api('DELETE', `/api/v1/users/${made.body.id}`, undefined, { as: 'admin' }))
        .status,
    ).toBe(200);
  });

  it('ingest tokens: shown once, stored hashed, good for ingest only, dead once revoked', async () => {
    const made = await t.server.api<CreatedIngestToken>(
      'POST',
      '/api/v1/tokens',
      { name: 'SBC Minneapolis' },
      { as: 'admin' },
    );
    expect(made.status).toBe(201);
    const { token } = made.body;
    expect(token).toMatch(/^esk_[\w-]{43}$/);
    const stored = await t.server.earshot.db.all('SELECT * FROM ingest_tokens');
    expect(JSON.stringify(stored)).not.toContain(token);
    const listed = (
      await t.server.api<{ tokens: Record<string, unknown>[] }>(
        'GET',
        '/api/v1/tokens',
        undefined,
        { as: 'admin' },
      )
    ).body.tokens;
    expect(listed[0]).toMatchObject({
      name: 'SBC Minneapolis',
      prefix: token.slice(0, 10),
      revokedAt: null,
    });
    expect(listed[0]).not.toHaveProperty('token');

    const announce = () =>
      t.server.api<{ callId: string }>('POST', '/api/v1/calls', TEST_CALL, { as: null, token });
    const call = await announce();
    expect(call.status).toBe(201);
    expect(
      (await t.server.api('GET', '/api/v1/calls', undefined, { as: null, token })).status,
    ).toBe(401);
    expect(
      (
        await t.server.api('GET', `/api/v1/calls/${call.body.callId}/recording`, undefined, {
          as: null,
          token,
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await t.server.api('DELETE', `/api/v1/calls/${call.body.callId}`, undefined, {
          as: null,
          token,
        })
      ).status,
    ).toBe(200);
    expect(
      (await t.server.api('DELETE', `/api/v1/tokens/${made.body.id}`, undefined, { as: 'admin' }))
        .status,
    ).toBe(200);
    expect((await announce()).status).toBe(401);
  });
});

describe('start-up accounts', () => {
  it('EARSHOT_ADMIN_PASSWORD makes the admin user; demo mode adds one user per role and says so', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'earshot-accounts-'));
    const start = (env: Record<string, string>) =>
      spawnServer({ EARSHOT_DATA_DIR: dataDir, EARSHOT_MEDIASOUP_WORKERS: '1', ...env });
    const config = async (url: string) =>
      (await (await fetch(`${url}/api/v1/auth/config`)).json()) as {
        demoUsers: { username: string; password: string }[] | null;
      };
    const first = await start({
      EARSHOT_ADMIN_PASSWORD: 'from-the-env-123',
      EARSHOT_DEMO_USERS: 'on',
    });
    try {
      await signInAt(first.url, 'admin', 'from-the-env-123');
      const { demoUsers } = await config(first.url);
      expect(demoUsers?.map((u) => u.username)).toEqual(['exec', 'lead', 'qa', 'agent', 'admin']);
      for (const u of demoUsers!.filter((d) => d.username !== 'admin'))
        await signInAt(first.url, u.username, u.password);
      // "admin" is EARSHOT_ADMIN_PASSWORD's: the demo password does not open it.
      await expect(signInAt(first.url, 'admin', 'earshot-demo')).rejects.toThrow();
    } finally {
      first.child.kill('SIGTERM');
      await new Promise((resolve) => first.child.once('exit', resolve));
    }
    // Demo mode off: the demo users, whose passwords are public, are gone.
    const second = await start({ EARSHOT_DEMO_USERS: 'off' });
    try {
      expect(await config(second.url)).toEqual({ demoUsers: null });
      await expect(signInAt(second.url, 'exec', 'earshot-demo')).rejects.toThrow();
      await signInAt(second.url, 'admin', 'from-the-env-123');
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((resolve) => second.child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
