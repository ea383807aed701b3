import type { AgentRow, AgentsSnapshot, AgentsUpdate } from '@earshot/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { localMidnight } from '../kpi/kpiMath.ts';
import { ask, type ConsoleClient } from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';

const t = useTestServer();
const clients: ConsoleClient[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.close()));

const post = async (events: unknown[]) => {
  expect((await t.server.events(events)).status).toBe(200);
};
const iso = (ms: number) => new Date(ms).toISOString();
const board = async (scope: string, as: 'exec' | 'lead' | 'lead-bk' | 'qa' = 'exec') =>
  t.server.api<AgentsSnapshot>('GET', `/api/v1/agents?scope=${scope}`, undefined, { as });
const rowOf = (snapshot: AgentsSnapshot, agentId: string) =>
  snapshot.agents.find((a) => a.agentId === agentId);

describe('the agents board', () => {
  it('follows the events, in whatever order they come, to the state, time in state, current call and today’s handled calls', async () => {
    // A timeline four minutes long that ended a minute ago, and a call on hold now.
    const t0 = Date.now() - 5 * 60_000;
    const s = (seconds: number) => iso(t0 + seconds * 1000);
    const { callId } = await t.server.createCall('PCMU', { externalId: 'agents-c2' });
    const events = [
      {
        id: 'ag-1',
        type: 'agent.state',
        at: s(0),
        agentId: 'a-olsen',
        team: 'mpls-care-1',
        state: 'available',
      },
      { id: 'ag-2', type: 'call.offered', at: s(5), callId: 'agents-c1', team: 'mpls-care-1' },
      { id: 'ag-3', type: 'call.answered', at: s(10), callId: 'agents-c1', agentId: 'a-olsen' },
      {
        id: 'ag-4',
        type: 'agent.state',
        at: s(10),
        agentId: 'a-olsen',
        team: 'mpls-care-1',
        state: 'on_call',
      },
      { id: 'ag-5', type: 'call.held', at: s(40), callId: 'agents-c1' },
      { id: 'ag-6', type: 'call.resumed', at: s(70), callId: 'agents-c1' },
      { id: 'ag-7', type: 'call.ended', at: s(100), callId: 'agents-c1' },
      {
        id: 'ag-8',
        type: 'agent.state',
        at: s(100),
        agentId: 'a-olsen',
        team: 'mpls-care-1',
        state: 'wrap_up',
      },
      { id: 'ag-9', type: 'call.wrapup_ended', at: s(130), callId: 'agents-c1' },
      {
        id: 'ag-10',
        type: 'agent.state',
        at: s(130),
        agentId: 'a-olsen',
        team: 'mpls-care-1',
        state: 'available',
      },
      // The second call: answered at 200 s, on hold from 230 s, still held.
      { id: 'ag-11', type: 'call.offered', at: s(195), callId: 'agents-c2', team: 'mpls-care-1' },
      { id: 'ag-12', type: 'call.answered', at: s(200), callId: 'agents-c2', agentId: 'a-olsen' },
      {
        id: 'ag-13',
        type: 'agent.state',
        at: s(200),
        agentId: 'a-olsen',
        team: 'mpls-care-1',
        state: 'on_call',
      },
      { id: 'ag-14', type: 'call.held', at: s(230), callId: 'agents-c2' },
      // Another team's agent on a break.
      {
        id: 'ag-15',
        type: 'agent.state',
        at: s(50),
        agentId: 'a-rivera',
        team: 'bk-billing',
        state: 'break',
      },
    ];
    // Out of order: reversed, in two batches.
    const shuffled = [...events].reverse();
    await post(shuffled.slice(0, 7));
    await post(shuffled.slice(7));

    const org = (await board('org')).body;
    // Handled today counts wrap-ups since Minneapolis's midnight: in the first minutes of
    // its day the first call's (at 130 s) was yesterday's.
    const today = Date.parse(s(130)) >= localMidnight('America/Chicago', Date.now());
    expect(rowOf(org, 'a-olsen')).toEqual({
      agentId: 'a-olsen',
      name: 'Kari Olsen',
      team: 'mpls-care-1',
      center: 'mn-minneapolis',
      state: 'held',
      since: s(230),
      acdCallId: 'agents-c2',
      callId,
      handledToday: today ? 1 : 0,
      ahtTodayMs: today ? 120_000 : null,
    } satisfies AgentRow);
    expect(rowOf(org, 'a-rivera')).toMatchObject({ state: 'away', since: s(50), callId: null });

    // A lead sees their own team's agents only, whatever the scope; QA none at all.
    const lead = (await board('org', 'lead')).body;
    expect(lead.agents.map((a) => a.agentId)).toEqual(['a-olsen']);
    expect((await board('org', 'lead-bk')).body.agents.map((a) => a.agentId)).toEqual(['a-rivera']);
    expect((await board('team:bk-billing', 'lead')).body.agents).toEqual([]);
    expect((await board('org', 'qa')).status).toBe(403);
    expect((await board('nowhere')).status).toBe(400);
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
  });

  it('streams the rows that change to the consoles following a scope', async () => {
    const lead = await t.server.console('lead');
    clients.push(lead);
    const snapshot = await ask<AgentsSnapshot>(lead, 'agents:subscribe', {
      scope: 'team:mpls-care-1',
    });
    expect(snapshot.ok).toBe(true);
    const updated = new Promise<AgentsUpdate>((resolve) => lead.on('agents:update', resolve));
    const at = Date.now();
    await post([
      {
        id: 'ag-stream-1',
        type: 'agent.state',
        at: iso(at),
        agentId: 'a-olsen',
        team: 'mpls-care-1',
        state: 'break',
      },
    ]);
    const update = await updated;
    expect(Date.now() - at).toBeLessThan(2500);
    expect(update.scope).toBe('team:mpls-care-1');
    expect(update.agents).toEqual([
      expect.objectContaining({ agentId: 'a-olsen', state: 'away', since: iso(at) }),
    ]);
    // Another team's scope is not the lead's to follow in full: it lists nobody.
    const other = await ask<AgentsSnapshot>(lead, 'agents:subscribe', { scope: 'team:bk-billing' });
    expect(other.ok && other.data.agents).toEqual([]);
  });
});
