import type { HeardVsReported, Observation } from '@earshot/shared';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../test/fixtures.ts';
import { TEST_TOKEN } from '../test/harness.ts';
import { readDisposition, wilson } from './heardVsReported.ts';

const t = useTestServer();

describe('heard vs reported', () => {
  it('the Wilson interval matches hand-computed values', () => {
    // 3 of 10: p = 0.3, centre 0.35551, half-width 0.24772.
    const { low, high } = wilson(3, 10);
    expect(low).toBeCloseTo(0.10779, 4);
    expect(high).toBeCloseTo(0.60323, 4);
    expect(wilson(0, 0)).toEqual({ low: null, high: null });
    expect(wilson(2, 2).low).toBeCloseTo(0.34242, 4);
    expect(readDisposition('Billing/Resolved', ['billing'])).toEqual({
      reason: 'billing',
      resolved: true,
    });
    expect(readDisposition('device: follow-up', ['device'])).toEqual({
      reason: 'device',
      resolved: false,
    });
    expect(readDisposition('resolved', ['billing'])).toEqual({ reason: null, resolved: true });
  });

  it('sets what was heard beside the dispositions and surveys, with intervals and flags, and lists the calls that disagree', async () => {
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const events: unknown[] = [];
    const dispositions = [
      'billing/resolved',
      'billing/resolved',
      'device/follow-up',
      'network/resolved',
    ];
    dispositions.forEach((disposition, i) => {
      const callId = `hvr-${i}`;
      events.push(
        { id: `hvr-o-${i}`, type: 'call.offered', at: at(30), callId, team: 'mpls-care-1' },
        { id: `hvr-a-${i}`, type: 'call.answered', at: at(29), callId, agentId: 'a-olsen' },
        { id: `hvr-e-${i}`, type: 'call.ended', at: at(20), callId, disposition },
      );
    });
    events.push(
      { id: 'hvr-s-0', type: 'survey.result', at: at(10), callId: 'hvr-0', csat: 5 },
      { id: 'hvr-s-2', type: 'survey.result', at: at(10), callId: 'hvr-2', csat: 2 },
    );
    const posted = await fetch(`${t.server.earshot.url}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    expect(posted.status).toBe(200);
    // Two of those calls were tapped and heard.
    const heard: [string, Record<string, unknown>][] = [
      ['hvr-0', { reason: 'billing', resolved: 'no', mood: 'negative' }],
      ['hvr-2', { reason: 'billing', resolved: 'yes', mood: 'positive' }],
    ];
    const ids: string[] = [];
    for (const [externalId, observation] of heard) {
      const { callId } = await t.server.createCall('PCMU', { externalId });
      ids.push(callId);
      const made = await t.server.api<Observation>(
        'POST',
        `/api/v1/calls/${callId}/observations`,
        observation,
      );
      expect(made.status).toBe(201);
    }
    const report = (
      await t.server.api<HeardVsReported>('GET', '/api/v1/heard-vs-reported?scope=team:mpls-care-1')
    ).body;
    expect(report.observations).toBe(2);
    const billing = report.reasons.find((r) => r.reason === 'billing')!;
    // Heard 2 of 2 (Wilson 0.342-1), reported 2 of 4 dispositions with a reason: inside.
    expect(billing).toMatchObject({
      k: 2,
      n: 2,
      heard: 1,
      reported: 0.5,
      reportedN: 4,
      flagged: false,
    });
    expect(billing.low).toBeCloseTo(0.34242, 4);
    expect(billing.high).toBe(1);
    const device = report.reasons.find((r) => r.reason === 'device')!;
    // Heard 0 of 2 (Wilson 0-0.658), reported 1 of 4 = 0.25: inside.
    expect(device).toMatchObject({ k: 0, n: 2, heard: 0, reported: 0.25, flagged: false });
    expect(device.high).toBeCloseTo(0.65758, 4);
    // Resolved: heard 1 of 2, reported 3 of 4. Mood: positive 1 of 2, surveys of 4-5: 1 of 2.
    expect(report.resolved).toMatchObject({ k: 1, n: 2, heard: 0.5, reported: 0.75, reportedN: 4 });
    expect(report.resolved.low).toBeCloseTo(0.09453, 4);
    expect(report.mood).toMatchObject({ k: 1, n: 2, reported: 0.5, reportedN: 2, flagged: false });
    // The single calls that disagree, each with its recording's call id.
    expect(report.disagreements).toEqual([
      expect.objectContaining({
        callId: ids[0],
        disposition: 'billing/resolved',
        why: 'reported resolved, heard not resolved',
      }),
      expect.objectContaining({
        callId: ids[1],
        disposition: 'device/follow-up',
        why: 'reported not resolved, heard resolved; reported device, heard billing',
      }),
    ]);
    // Another team's scope holds none of it; QA may not compare.
    const other = (
      await t.server.api<HeardVsReported>('GET', '/api/v1/heard-vs-reported?scope=team:bk-billing')
    ).body;
    expect(other.observations).toBe(0);
    expect(
      (await t.server.api('GET', '/api/v1/heard-vs-reported', undefined, { as: 'qa' })).status,
    ).toBe(403);
    for (const id of ids) await t.server.api('DELETE', `/api/v1/calls/${id}`);
  });
});
