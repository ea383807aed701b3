import { streamTone, TEST_PASSWORD } from '@earshot/server/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { consoleContext } from './support/browser.ts';
import { useConsoleServer } from './support/console-server.ts';

const f = useConsoleServer();
const poll = { timeout: 5000, interval: 50 };

async function signIn(page: Page, username: string): Promise<void> {
  await page.goto(f.server.earshot.url);
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Password').fill(TEST_PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

describe('who may listen to whom, in the console', () => {
  it('a team lead hears an own-team call, is refused another team’s, and the admin finds both attempts in the audit view', async () => {
    const own = await f.server.createCall('PCMU');
    const other = await f.server.createCall('PCMU', {
      center: 'ny-brooklyn',
      region: 'new-york-city',
      team: 'bk-billing',
      agent: { id: 'a-rivera', name: 'Luis Rivera' },
    });
    const tones = [own, other].map(({ legs }) =>
      streamTone(f.sender, legs.agent.port, {
        codec: 'PCMU',
        frequency: 440,
        amplitude: 0.3,
        ssrc: 7,
        maxSeconds: 60,
      }),
    );
    try {
      const context = await consoleContext(f.browser, { url: f.server.earshot.url });
      const page = await context.newPage();
      // Signed out, the console is a login page; a wrong password says so.
      await page.goto(f.server.earshot.url);
      const form = page.getByRole('form', { name: 'Sign in' });
      await form.getByLabel('Username').fill('lead');
      await form.getByLabel('Password').fill('not-the-password');
      await form.getByRole('button', { name: 'Sign in' }).click();
      await expect
        .poll(() => form.getByRole('alert').textContent(), poll)
        .toBe('wrong username or password');
      await signIn(page, 'lead');

      // The board shows the lead's team only; listening to it brings audio.
      const ownRow = page.locator(`.row[data-call-id="${own.callId}"]`);
      await ownRow.waitFor();
      expect(await page.locator(`.row[data-call-id="${other.callId}"]`).count()).toBe(0);
      await ownRow.getByRole('button', { name: 'Listen', exact: true }).click();
      const ownStrip = page.locator(`article.strip[data-call-id="${own.callId}"]`);
      await expect.poll(() => ownStrip.getAttribute('data-first-audio-ms'), poll).not.toBeNull();

      // A link to another team's call opens a strip that says no, and hears nothing.
      await page.goto(`${f.server.earshot.url}/live/${other.callId}`);
      const otherStrip = page.locator(`article.strip[data-call-id="${other.callId}"]`);
      await expect.poll(() => otherStrip.getAttribute('data-status'), poll).toBe('error');
      expect(await otherStrip.locator('.strip-message').textContent()).toContain(
        'not yours to hear',
      );
      expect(await otherStrip.getAttribute('data-first-audio-ms')).toBeNull();
      expect(f.server.earshot.listen.listenersOf(other.callId)).toEqual([]);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('form', { name: 'Sign in' }).waitFor();

      // The admin's audit view shows both attempts, by name, on the right calls.
      await signIn(page, 'admin');
      await page.getByRole('link', { name: 'Admin' }).click();
      await page.getByRole('tab', { name: 'Audit trail' }).click();
      const records = page.getByRole('table', { name: 'Audit records' });
      const row = (action: string) =>
        records.locator(`tr.audit-${action.replace('.', '-')}`, { hasText: 'Lee Lead' });
      await row('listen.start').first().waitFor();
      await row('listen.denied').first().waitFor();
      expect(await row('listen.start').first().locator('td[title]').getAttribute('title')).toBe(
        own.callId,
      );
      expect(await row('listen.denied').first().locator('td[title]').getAttribute('title')).toBe(
        other.callId,
      );
      expect(await row('listen.denied').first().textContent()).toContain('team bk-billing');
      // Signing out stopped the lead's listening, with how long it lasted.
      await row('listen.stop').first().waitFor();
      await context.close();
    } finally {
      tones.forEach((t) => t.stop());
      await f.server.api('DELETE', `/api/v1/calls/${own.callId}`);
      await f.server.api('DELETE', `/api/v1/calls/${other.callId}`);
    }
  });
});
