import type { Observation } from '@earshot/shared';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../test/fixtures.ts';

const t = useTestServer();

describe('observations', () => {
  it('record the gist of a call as heard, beside the disposition the ACD reported; only the organisation’s reasons, only by those who may hear the call', async () => {
    const { callId } = await t.server.createCall('PCMU');
    const observe = (body: unknown, as: 'exec' | 'lead-bk' | 'qa' = 'exec') =>
      t.server.api<Observation>('POST', `/api/v1/calls/${callId}/observations`, body, { as });
    const made = await observe({
      reason: 'Billing',
      resolved: 'no',
      mood: 'negative',
      dataLooksWrong: true,
      note: 'Promised a callback the ACD calls resolved',
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      callId,
      reason: 'billing',
      resolved: 'no',
      mood: 'negative',
      dataLooksWrong: true,
      team: 'mpls-care-1',
      agent: { id: 'a-olsen' },
      observer: { name: 'Dana Exec' },
    });
    expect((await observe({ reason: 'weather', resolved: 'yes', mood: 'neutral' })).status).toBe(
      400,
    );
    expect((await observe({ reason: 'billing', resolved: 'maybe', mood: 'neutral' })).status).toBe(
      400,
    );
    expect(
      (await observe({ reason: 'billing', resolved: 'yes', mood: 'neutral' }, 'lead-bk')).status,
    ).toBe(403);
    expect(
      (await observe({ reason: 'billing', resolved: 'yes', mood: 'neutral' }, 'qa')).status,
    ).toBe(403);

    // An admin sets the organisation's reasons; the new ones are what may be observed.
    const set = await t.server.api(
      'PUT',
      '/api/v1/observation-reasons',
      { reasons: ['Roaming', 'billing'] },
      { as: 'admin' },
    );
    expect(set.status).toBe(200);
    expect(
      (await t.server.api<{ reasons: string[] }>('GET', '/api/v1/observation-reasons')).body
        .reasons,
    ).toEqual(['roaming', 'billing']);
    expect((await observe({ reason: 'roaming', resolved: 'unsure', mood: 'neutral' })).status).toBe(
      201,
    );
    expect((await observe({ reason: 'device', resolved: 'yes', mood: 'neutral' })).status).toBe(
      400,
    );

    const listed = (
      await t.server.api<{ observations: Observation[] }>(
        'GET',
        `/api/v1/observations?callId=${callId}`,
      )
    ).body.observations;
    expect(listed.map((o) => o.reason)).toEqual(['roaming', 'billing']);
    expect(
      (
        await t.server.api<{ observations: Observation[] }>(
          'GET',
          '/api/v1/observations',
          undefined,
          { as: 'lead-bk' },
        )
      ).body.observations,
    ).toEqual([]);
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
  });
});
