import type { ApiErrorBody, Call, Tag } from '@earshot/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { ask, startListening, type ConsoleClient } from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';
import { sendTone, type TestUser } from '../test/harness.ts';

const t = useTestServer();
type Client = ConsoleClient;
const clients: Client[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.close()));

// Dana is an executive; Lee leads the team the test calls belong to.
const DANA: TestUser = 'exec';
const LEE: TestUser = 'lead';

async function call(method: string, path: string, body: unknown, as: TestUser | null = DANA) {
  const { status, body: answer } = await t.server.api(method, path, body, { as, token: null });
  return { status, body: answer as never };
}

async function liveCallWithAudio(): Promise<string> {
  const { callId, legs } = await t.server.createCall('PCMU');
  await sendTone(t.sender, legs.agent.port, {
    codec: 'PCMU',
    frequency: 440,
    amplitude: 0.3,
    packets: 25,
  });
  return callId;
}

async function listener(user: TestUser, callId: string): Promise<Client> {
  const client = await t.server.console(user);
  clients.push(client);
  await startListening(client, callId);
  return client;
}

describe('tags', () => {
  it('are made, listed, edited by their author only, reviewed and coached by anyone, and deleted by their author', async () => {
    const callId = await liveCallWithAudio();
    const made = await call('POST', `/api/v1/calls/${callId}/tags`, {
      offsetMs: 200,
      endMs: 400,
      label: 'coaching',
      note: ' talked over the customer ',
      leg: 'agent',
    });
    expect(made.status).toBe(201);
    const tag = made.body as Tag;
    expect(tag).toMatchObject({
      callId,
      offsetMs: 200,
      endMs: 400,
      label: 'coaching',
      note: 'talked over the customer',
      leg: 'agent',
      author: { id: t.server.userId('exec'), name: 'Dana Exec' },
    });

    expect((await call('PATCH', `/api/v1/tags/${tag.id}`, { label: 'praise' }, LEE)).status).toBe(
      403,
    );
    const reviewed = await call(
      'PATCH',
      `/api/v1/tags/${tag.id}`,
      { reviewed: true, coached: true },
      LEE,
    );
    expect(reviewed.status).toBe(200);
    expect(reviewed.body).toMatchObject({
      reviewedBy: 'Lee Lead',
      coachedBy: 'Lee Lead',
      label: 'coaching',
    });
    const edited = await call(
      'PATCH',
      `/api/v1/tags/${tag.id}`,
      { label: 'praise', note: null, endMs: null },
      DANA,
    );
    expect(edited.body).toMatchObject({
      label: 'praise',
      note: null,
      endMs: null,
      reviewedBy: 'Lee Lead',
    });

    const listed = await call('GET', `/api/v1/calls/${callId}/tags`, undefined);
    expect((listed.body as { tags: Tag[] }).tags.map((x) => x.id)).toEqual([tag.id]);
    const byTeam = await call(
      'GET',
      `/api/v1/tags?team=mpls-care-1&label=praise&coached=true`,
      undefined,
    );
    expect((byTeam.body as { tags: (Tag & { agent: { id: string } })[] }).tags[0]).toMatchObject({
      id: tag.id,
      agent: { id: 'a-olsen' },
    });
    expect(
      ((await call('GET', `/api/v1/tags?team=bk-billing`, undefined)).body as { tags: Tag[] }).tags,
    ).toEqual([]);

    expect((await call('DELETE', `/api/v1/tags/${tag.id}`, undefined, LEE)).status).toBe(403);
    expect((await call('DELETE', `/api/v1/tags/${tag.id}`, undefined, DANA)).status).toBe(200);
    expect(
      ((await call('GET', `/api/v1/calls/${callId}/tags`, undefined)).body as { tags: Tag[] }).tags,
    ).toEqual([]);
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
  });

  it('refuses bad tags with a clear message and stores nothing', async () => {
    const callId = await liveCallWithAudio();
    const cases: [string, string, unknown, TestUser | null, number, string | undefined][] = [
      [
        'unknown call',
        '/api/v1/calls/00000000-0000-4000-8000-000000000000/tags',
        { offsetMs: 0, label: 'praise', leg: 'both' },
        DANA,
        404,
        undefined,
      ],
      [
        'offset outside the call',
        `/api/v1/calls/${callId}/tags`,
        { offsetMs: 3_600_000, label: 'praise', leg: 'both' },
        DANA,
        400,
        'offsetMs',
      ],
      [
        'negative offset',
        `/api/v1/calls/${callId}/tags`,
        { offsetMs: -1, label: 'praise', leg: 'both' },
        DANA,
        400,
        'offsetMs',
      ],
      [
        'end before start',
        `/api/v1/calls/${callId}/tags`,
        { offsetMs: 300, endMs: 100, label: 'praise', leg: 'both' },
        DANA,
        400,
        'endMs',
      ],
      [
        'unknown label',
        `/api/v1/calls/${callId}/tags`,
        { offsetMs: 0, label: 'gossip', leg: 'both' },
        DANA,
        400,
        'label',
      ],
      [
        'oversized note',
        `/api/v1/calls/${callId}/tags`,
        { offsetMs: 0, label: 'praise', leg: 'both', note: 'x'.repeat(2001) },
        DANA,
        400,
        'note',
      ],
      [
        'unknown leg',
        `/api/v1/calls/${callId}/tags`,
        { offsetMs: 0, label: 'praise', leg: 'supervisor' },
        DANA,
        400,
        'leg',
      ],
      [
        'unknown field',
        `/api/v1/calls/${callId}/tags`,
        { offsetMs: 0, label: 'praise', leg: 'both', color: 'red' },
        DANA,
        400,
        '(body)',
      ],
      [
        'not signed in',
        `/api/v1/calls/${callId}/tags`,
        { offsetMs: 0, label: 'praise', leg: 'both' },
        null,
        401,
        undefined,
      ],
      [
        'a team lead of another team',
        `/api/v1/calls/${callId}/tags`,
        { offsetMs: 0, label: 'praise', leg: 'both' },
        'lead-bk',
        403,
        undefined,
      ],
    ];
    for (const [name, path, body, as, status, field] of cases) {
      const res = await call('POST', path, body, as);
      expect(res.status, name).toBe(status);
      if (field)
        expect(
          (res.body as ApiErrorBody).error.issues?.map((i) => i.path),
          name,
        ).toContain(field);
    }
    expect(
      (
        await call(
          'PATCH',
          '/api/v1/tags/00000000-0000-4000-8000-000000000000',
          { reviewed: true },
          DANA,
        )
      ).status,
    ).toBe(404);
    expect((await call('GET', '/api/v1/tags?from=yesterday', undefined)).status).toBe(400);
    expect(
      ((await call('GET', `/api/v1/calls/${callId}/tags`, undefined)).body as { tags: Tag[] }).tags,
    ).toEqual([]);
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
  });

  it('accepts team-defined labels once', async () => {
    expect(
      (await call('POST', '/api/v1/labels', { name: 'Upsell missed', team: 'mpls-care-1' })).status,
    ).toBe(201);
    expect((await call('POST', '/api/v1/labels', { name: 'Upsell missed' })).status).toBe(409);
    expect((await call('POST', '/api/v1/labels', { name: 'Praise' })).status).toBe(409);
    const labels = (await call('GET', '/api/v1/labels', undefined)).body as {
      labels: { name: string }[];
    };
    expect(labels.labels.map((l) => l.name)).toEqual([
      'coaching',
      'compliance',
      'praise',
      'discrepancy',
      'escalation',
      'Upsell missed',
    ]);
    const callId = await liveCallWithAudio();
    expect(
      (
        await call('POST', `/api/v1/calls/${callId}/tags`, {
          offsetMs: 10,
          label: 'Upsell missed',
          leg: 'agent',
        })
      ).status,
    ).toBe(201);
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
  });

  it('made live over the socket, a tag appears at once for the other listeners of the call', async () => {
    const callId = await liveCallWithAudio();
    const dana = await listener(DANA, callId);
    const lee = await listener(LEE, callId);
    const seen: string[] = [];
    lee.on('tag:created', (tag) => seen.push(`created ${tag.label} by ${tag.author.name}`));
    lee.on('tag:updated', (tag) => seen.push(`updated ${tag.label}`));
    lee.on('tag:deleted', () => seen.push('deleted'));
    const made = await ask<Tag>(dana, 'tag:create', {
      callId,
      tag: { offsetMs: 150, label: 'compliance', leg: 'customer' },
    });
    if (!made.ok) throw new Error(made.error.message);
    expect(made.data.author.name).toBe('Dana Exec');
    const bad = await ask<Tag>(dana, 'tag:create', {
      callId,
      tag: { offsetMs: 150, label: 'nope', leg: 'customer' },
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    await call('PATCH', `/api/v1/tags/${made.data.id}`, { label: 'escalation' }, DANA);
    await call('DELETE', `/api/v1/tags/${made.data.id}`, undefined, DANA);
    await expect
      .poll(() => seen, { timeout: 2000 })
      .toEqual(['created compliance by Dana Exec', 'updated escalation', 'deleted']);
    const ended = (await t.server.api<Call>('DELETE', `/api/v1/calls/${callId}`)).body;
    expect(ended.state).toBe('ended');
  });
});

describe('review', () => {
  it('lists ended calls newest flag first, with filters, reviewed marks and comments', async () => {
    const quiet = await liveCallWithAudio();
    const flagged = await liveCallWithAudio();
    await call('POST', `/api/v1/calls/${flagged}/tags`, {
      offsetMs: 100,
      label: 'escalation',
      leg: 'customer',
    });
    expect((await call('PUT', `/api/v1/calls/${flagged}/review`, { reviewed: true })).status).toBe(
      400,
    ); // still live
    await t.server.api('DELETE', `/api/v1/calls/${quiet}`);
    await t.server.api('DELETE', `/api/v1/calls/${flagged}`);

    const list = (await call('GET', '/api/v1/recordings', undefined)).body as {
      recordings: { callId: string; labels: string[]; tagCount: number }[];
    };
    const ids = list.recordings.map((r) => r.callId);
    expect(ids.indexOf(flagged)).toBeLessThan(ids.indexOf(quiet));
    expect(list.recordings.find((r) => r.callId === flagged)).toMatchObject({
      tagCount: 1,
      labels: ['escalation'],
    });
    const byLabel = (await call('GET', '/api/v1/recordings?label=escalation', undefined)).body as {
      recordings: { callId: string }[];
    };
    expect(byLabel.recordings.map((r) => r.callId)).toContain(flagged);
    expect(byLabel.recordings.map((r) => r.callId)).not.toContain(quiet);

    const reviewed = await call('PUT', `/api/v1/calls/${flagged}/review`, { reviewed: true }, LEE);
    expect(reviewed.body).toMatchObject({ reviewedBy: 'Lee Lead' });
    const unreviewed = (await call('GET', '/api/v1/recordings?reviewed=false', undefined)).body as {
      recordings: { callId: string }[];
    };
    expect(unreviewed.recordings.map((r) => r.callId)).not.toContain(flagged);
    expect(
      (
        await call(
          'POST',
          `/api/v1/calls/${flagged}/comments`,
          { body: '  Good de-escalation  ' },
          LEE,
        )
      ).status,
    ).toBe(201);
    expect(
      (await call('POST', `/api/v1/calls/${flagged}/comments`, { body: '' }, LEE)).status,
    ).toBe(400);
    expect(
      (
        await call(
          'POST',
          `/api/v1/calls/${flagged}/comments`,
          { body: 'x', tagId: '00000000-0000-4000-8000-000000000000' },
          LEE,
        )
      ).status,
    ).toBe(400);
    const review = (await call('GET', `/api/v1/calls/${flagged}/review`, undefined)).body as {
      comments: { body: string; author: { name: string } }[];
    };
    expect(review.comments.map((c) => [c.author.name, c.body])).toEqual([
      ['Lee Lead', 'Good de-escalation'],
    ]);
  });
});
