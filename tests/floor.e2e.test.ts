import { TEST_TOKEN } from '@earshot/server/testing';
import { describe, expect, it } from 'vitest';
import { hum } from './support/audio.ts';
import { seriousViolations } from './support/axe.ts';
import { signedInPage, useConsoleServer } from './support/console-server.ts';

const f = useConsoleServer();
const poll = { timeout: 8000, interval: 50 };

describe('the floor, live', () => {
  it('a team lead sees an agent go on hold past the limit, gets the alert and clicks Listen, hearing the call within a second', async () => {
    const made = await f.server.api(
      'POST',
      '/api/v1/alert-rules',
      { name: 'Long hold', kind: 'hold_longer', scope: 'team:mpls-care-1', threshold: 2 },
      { as: 'lead' },
    );
    expect(made.status).toBe(201);
    const { callId, legs } = await f.server.createCall('PCMU', { externalId: 'floor-c1' });
    const audio = hum(f.sender, [{ legs }], 40);
    try {
      const page = await signedInPage(f, 'lead');
      await page.goto(`${f.server.earshot.url}/agents`);
      const row = page.locator('.agent-row[data-agent-id="a-olsen"]');
      await row.waitFor();
      const events = (list: unknown[]) =>
        fetch(`${f.server.earshot.url}/api/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events: list }),
        });
      const at = new Date().toISOString();
      await events([
        { id: 'fl-1', type: 'call.offered', at, callId: 'floor-c1', team: 'mpls-care-1' },
        { id: 'fl-2', type: 'call.answered', at, callId: 'floor-c1', agentId: 'a-olsen' },
        {
          id: 'fl-3',
          type: 'agent.state',
          at,
          agentId: 'a-olsen',
          team: 'mpls-care-1',
          state: 'on_call',
        },
        { id: 'fl-4', type: 'call.held', at, callId: 'floor-c1' },
      ]);
      // The board shows the hold at once, and the alert comes once it lasts 2 s.
      await expect.poll(() => row.getAttribute('data-state'), poll).toBe('held');
      const toast = page.locator('.toast').filter({ hasText: 'Long hold' });
      await toast.waitFor({ timeout: 6000 });
      expect(await toast.textContent()).toContain('Kari Olsen');
      expect(await seriousViolations(page)).toEqual([]);
      await toast.getByRole('button', { name: 'Listen' }).click();
      const strip = page.locator(`.strip[data-call-id="${callId}"]`);
      await expect.poll(() => strip.getAttribute('data-first-audio-ms'), poll).not.toBeNull();
      expect(Number(await strip.getAttribute('data-first-audio-ms'))).toBeLessThan(1000);
      // The alert is acknowledged by that click, and listed on the alerts page.
      await page.getByRole('link', { name: 'Alerts' }).click();
      const listed = page.locator('.alerts-table tr[data-alert-id]').first();
      await expect.poll(() => listed.textContent(), poll).toContain('Acknowledged by Lee Lead');
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await audio.stop();
      await f.server.api('DELETE', `/api/v1/calls/${callId}`);
    }
  });
});
