import type { AuditRecord, CreatedIngestToken, User } from '@earshot/shared';
import { describe, expect, it } from 'vitest';
import { ask, capabilities, startListening } from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';
import { sendTone, TEST_PASSWORD } from '../test/harness.ts';

const t = useTestServer();

const auditOf = async (query = '') =>
  (
    await t.server.api<{ records: AuditRecord[] }>('GET', `/api/v1/audit${query}`, undefined, {
      as: 'admin',
    })
  ).body.records;

describe('the audit trail in use', () => {
  it('records listening (with how long), a refused listen, tags, replays and downloads under the signed-in user', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    const other = await t.server.createCall('PCMU', {
      center: 'ny-brooklyn',
      region: 'new-york-city',
      team: 'bk-billing',
      agent: { id: 'a-rivera', name: 'Luis Rivera' },
    });
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 440,
      amplitude: 0.3,
      packets: 10,
    });
    const lead = await t.server.console('lead');
    await startListening(lead, callId);
    const refused = await ask(lead, 'listen:start', {
      callId: other.callId,
      rtpCapabilities: await capabilities(lead),
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const tag = await t.server.api(
      'POST',
      `/api/v1/calls/${callId}/tags`,
      { offsetMs: 100, label: 'praise', leg: 'agent' },
      { as: 'lead' },
    );
    expect(tag.status).toBe(201);
    lead.close();
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
    await t.server.api('DELETE', `/api/v1/calls/${other.callId}`);
    const download = await t.server.api(
      'GET',
      `/api/v1/calls/${callId}/recording?from=0&to=100&download=1`,
      undefined,
      { as: 'qa' },
    );
    expect(download.status).toBe(200);
    // One replay, as a player makes it: the waveform's fetch, then the audio element's ranges.
    for (const range of [undefined, 'bytes=0-', 'bytes=2000-']) {
      const replay = await t.server.api('GET', `/api/v1/calls/${callId}/recording`, undefined, {
        as: 'qa',
        headers: range ? { range } : {},
      });
      expect(replay.status).toBe(range ? 206 : 200);
    }
    const deniedReplay = await t.server.api(
      'GET',
      `/api/v1/calls/${other.callId}/recording`,
      undefined,
      { as: 'lead' },
    );
    expect(deniedReplay.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const records = await auditOf();
    const mine = records
      .filter(
        (r) =>
          [callId, other.callId].includes(r.target ?? '') ||
          [callId, other.callId].includes(r.details.callId as string),
      )
      .reverse();
    expect(mine.map((r) => [r.action, r.actor.name])).toEqual([
      ['listen.start', 'Lee Lead'],
      ['listen.denied', 'Lee Lead'],
      ['tag.create', 'Lee Lead'],
      ['listen.stop', 'Lee Lead'],
      ['recording.download', 'Quinn QA'],
      ['recording.replay', 'Quinn QA'],
      ['recording.denied', 'Lee Lead'],
    ]);
    expect(mine[0]!.actor.id).toBe(t.server.userId('lead'));
    expect(mine[1]!.target).toBe(other.callId);
    expect(mine[3]!.details.listenedMs).toBeGreaterThanOrEqual(200);
    expect(
      (await t.server.api('GET', '/api/v1/audit/verify', undefined, { as: 'admin' })).body,
    ).toEqual({
      ok: true,
      records: records.length,
    });
  });

  it('records sign-ins (and failures), user and role changes and token changes, filters them and exports CSV', async () => {
    const login = (password: string) =>
      t.server.api(
        'POST',
        '/api/v1/auth/login',
        { username: 'qa-bk', password },
        { as: null, token: null },
      );
    expect((await login('not-the-password')).status).toBe(401);
    expect((await login(TEST_PASSWORD)).status).toBe(200);
    const made = await t.server.api<User>(
      'POST',
      '/api/v1/users',
      {
        username: 'casey',
        password: 'casey-password-1',
        roles: [{ role: 'teamLead', teams: ['mpls-care-1'] }],
      },
      { as: 'admin' },
    );
    expect(made.status).toBe(201);
    await t.server.api(
      'PATCH',
      `/api/v1/users/${made.body.id}`,
      { roles: [{ role: 'qa' }] },
      { as: 'admin' },
    );
    await t.server.api('DELETE', `/api/v1/users/${made.body.id}`, undefined, { as: 'admin' });
    const token = await t.server.api<CreatedIngestToken>(
      'POST',
      '/api/v1/tokens',
      { name: 'SBC east' },
      { as: 'admin' },
    );
    await t.server.api('DELETE', `/api/v1/tokens/${token.body.id}`, undefined, { as: 'admin' });
    await new Promise((resolve) => setTimeout(resolve, 100));

    const wanted =
      'auth.login,auth.login_failed,user.create,user.update,user.delete,token.create,token.revoke';
    const records = (await auditOf(`?action=${wanted}`)).filter(
      (r) =>
        r.actor.name === 'qa-bk' ||
        r.actor.name === 'Bo QA' ||
        r.actor.name === 'Ada Admin' ||
        r.actor.name === 'admin',
    );
    const seen = records.reverse().map((r) => r.action);
    expect(seen.slice(-7)).toEqual([
      'auth.login_failed',
      'auth.login',
      'user.create',
      'user.update',
      'user.delete',
      'token.create',
      'token.revoke',
    ]);
    const update = records.find((r) => r.action === 'user.update')!;
    expect(update.details).toMatchObject({
      rolesBefore: [{ role: 'teamLead', teams: ['mpls-care-1'] }],
      roles: [{ role: 'qa' }],
    });
    expect(JSON.stringify(records)).not.toContain('casey-password-1');
    expect(JSON.stringify(records)).not.toContain(token.body.token);

    const byTarget = await auditOf(`?target=${made.body.id}`);
    expect(byTarget.map((r) => r.action).sort()).toEqual([
      'user.create',
      'user.delete',
      'user.update',
    ]);

    const csv = await t.server.api<string>(
      'GET',
      `/api/v1/audit?format=csv&target=${made.body.id}`,
      undefined,
      { as: 'admin' },
    );
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('seq,at,actor_id,actor_name,action,target,details,hash');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('user.delete');
  });

  it('is for admins only', async () => {
    for (const as of ['exec', 'lead', 'qa'] as const) {
      expect((await t.server.api('GET', '/api/v1/audit', undefined, { as })).status).toBe(403);
      expect((await t.server.api('GET', '/api/v1/audit/verify', undefined, { as })).status).toBe(
        403,
      );
    }
    expect((await t.server.api('GET', '/api/v1/audit', undefined, { as: null })).status).toBe(401);
  });
});
