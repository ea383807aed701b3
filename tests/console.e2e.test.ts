import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { talk } from './support/audio.ts';
import { seriousViolations } from './support/axe.ts';
import { signedInPage, useConsoleServer } from './support/console-server.ts';

const f = useConsoleServer();
const PHONE = { width: 390, height: 844 };
const poll = { timeout: 8000, interval: 50 };

/** Both legs of a call talk in syllables for up to `seconds`, paced; stop() ends it sooner. */
const talking = (legs: Record<'agent' | 'customer', { port: number }>, seconds: number) =>
  talk(f.sender, [{ legs }], seconds);

/** The element is reachable and lies wholly inside the viewport once scrolled to. */
async function onScreen(page: Page, element: Locator, minHeight = 0): Promise<void> {
  await element.scrollIntoViewIfNeeded();
  const box = await element.boundingBox();
  const viewport = page.viewportSize()!;
  expect(box, 'element has a box').not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.y).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width + 0.5);
  expect(box!.y + box!.height).toBeLessThanOrEqual(viewport.height + 0.5);
  expect(box!.height).toBeGreaterThanOrEqual(minHeight);
}

/** Nothing on the page is wider than the screen (no sideways scrolling). */
const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

describe('the console on a phone (390 x 844)', () => {
  it('an executive listens, tags and reads KPIs with nothing off screen, and axe finds nothing serious', async () => {
    const { callId, legs } = await f.server.createCall('PCMU');
    const audio = talking(legs, 60);
    try {
      const page = await signedInPage(f, 'exec', 'dark', PHONE);
      await page.goto(f.server.earshot.url);
      const row = page.locator(`.row[data-call-id="${callId}"]`);
      await row.waitFor();
      expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
      expect(await seriousViolations(page)).toEqual([]);

      // Listen: a large button inside the card, then the strip as a full-width card.
      const listen = row.getByRole('button', { name: 'Listen', exact: true });
      await onScreen(page, listen, 44);
      await listen.click();
      const strip = page.locator(`.strip[data-call-id="${callId}"]`);
      await expect.poll(() => strip.getAttribute('data-status'), poll).toBe('live');
      for (const name of ['Mute agent', 'Solo customer', 'Stop listening', 'Tag coaching'])
        await onScreen(page, strip.getByRole('button', { name, exact: true }), 44);
      expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);

      // Tag what was just heard.
      await strip.getByRole('button', { name: 'Tag coaching', exact: true }).click();
      await expect.poll(() => strip.locator('.tag-list .tag-row').count(), poll).toBe(1);
      expect(await seriousViolations(page)).toEqual([]);

      // KPIs: the organisation's tiles, readable without sideways scrolling.
      await page.getByRole('link', { name: 'KPIs' }).click();
      const tile = page.locator('.kpi-panel .tile').first();
      await tile.waitFor();
      await onScreen(page, tile);
      expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
      // Listening goes on while on another page, and its strip stays on screen.
      await onScreen(page, strip.getByRole('button', { name: 'Stop listening' }), 44);
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await audio.stop();
      await f.server.api('DELETE', `/api/v1/calls/${callId}`);
    }
  });
});

describe('the console on a tablet (768 x 1024)', () => {
  it('the board is cards with a reachable Listen, and the strip fits', async () => {
    const { callId, legs } = await f.server.createCall('PCMU');
    const audio = talking(legs, 30);
    try {
      const page = await signedInPage(f, 'exec', 'light', { width: 768, height: 1024 });
      await page.goto(f.server.earshot.url);
      const row = page.locator(`.row[data-call-id="${callId}"]`);
      await row.waitFor();
      await onScreen(page, row.getByRole('button', { name: 'Listen', exact: true }), 44);
      await row.getByRole('button', { name: 'Listen', exact: true }).click();
      const strip = page.locator(`.strip[data-call-id="${callId}"]`);
      await expect.poll(() => strip.getAttribute('data-status'), poll).toBe('live');
      await onScreen(page, strip.getByRole('button', { name: 'Solo agent' }), 44);
      expect(await pageWidth(page)).toBeLessThanOrEqual(768);
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await audio.stop();
      await f.server.api('DELETE', `/api/v1/calls/${callId}`);
    }
  });
});

describe('the console on a desk (1440 x 900)', () => {
  it('a QA reviewer filters recordings by a center’s name and a label typed in capitals', async () => {
    const mine = await f.server.createCall('PCMU');
    const other = await f.server.createCall('PCMU', {
      center: 'ny-brooklyn',
      region: 'new-york-city',
      team: 'bk-billing',
      agent: { id: 'a-rivera', name: 'Luis Rivera' },
    });
    const audio = [talking(mine.legs, 2), talking(other.legs, 2)];
    await Promise.all(audio.map((a) => a.stop().then(() => undefined)));
    for (const call of [mine, other]) {
      const tag = await f.server.api(
        'POST',
        `/api/v1/calls/${call.callId}/tags`,
        { offsetMs: 500, label: 'coaching', leg: 'agent' },
        { as: 'exec' },
      );
      expect(tag.status).toBe(201);
      await f.server.api('DELETE', `/api/v1/calls/${call.callId}`);
    }
    const page = await signedInPage(f, 'qa', 'light', { width: 1440, height: 900 });
    await page.goto(`${f.server.earshot.url}/review`);
    const rowOf = (id: string) => page.locator(`tr[data-call-id="${id}"]`);
    await rowOf(mine.callId).waitFor();
    await page.getByLabel('Center').selectOption({ label: 'Minneapolis' });
    await page.getByLabel('Label').fill('COACHING');
    await expect.poll(() => rowOf(other.callId).count(), poll).toBe(0);
    await expect.poll(() => rowOf(mine.callId).count(), poll).toBe(1);
    // Names, not ids, in the table.
    expect(await rowOf(mine.callId).textContent()).toContain('Minneapolis Care 1');
    expect(await seriousViolations(page)).toEqual([]);
    // A label nobody used: the list says the filters are why.
    await page.getByLabel('Label').fill('Escalation');
    await expect
      .poll(() => page.locator('.review .empty').textContent(), poll)
      .toContain('No recorded call matches these filters');
    // The replay page passes too.
    await page.goto(`${f.server.earshot.url}/review/${mine.callId}`);
    await page.getByLabel('Duration').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    // The same pages on a phone: nothing wider than the screen, nothing serious for axe.
    const phone = await signedInPage(f, 'qa', 'dark', PHONE);
    for (const path of ['/review', `/review/${mine.callId}`]) {
      await phone.goto(`${f.server.earshot.url}${path}`);
      await phone.locator(path === '/review' ? '.review-table' : '.clock').waitFor();
      expect(await pageWidth(phone)).toBeLessThanOrEqual(PHONE.width);
      expect(await seriousViolations(phone)).toEqual([]);
    }
    await onScreen(phone, phone.getByRole('button', { name: 'Play', exact: true }), 44);
    // And the coaching queue, on a team with a tag to coach.
    await page.getByRole('link', { name: 'Coaching' }).click();
    await page.getByLabel('Team').selectOption({ label: 'Minneapolis Care 1 · Minneapolis' });
    await page.locator('.coaching li').first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('an executive enters a reported figure, and the KPI panel shows it beside the measured one', async () => {
    const page = await signedInPage(f, 'exec', 'dark', { width: 1440, height: 900 });
    await page.goto(`${f.server.earshot.url}/kpis`);
    await page.locator('.kpis > .toolbar').getByLabel('Window').selectOption('today');
    await page.getByText('Reported figures').click();
    const form = page.locator('.reported-form');
    await form.getByLabel('Place').selectOption({ label: 'Minneapolis' });
    await form.getByLabel('Metric').selectOption({ label: 'Service level' });
    await form.getByLabel('Period').selectOption({ label: 'Today' });
    await form.getByLabel('Value (%)').fill('50');
    await form.getByLabel('Source').fill('staff meeting');
    await form.getByRole('button', { name: 'Save figure' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Saved' }).count(), poll)
      .toBe(1);
    const tile = page.locator(
      '.kpi-panel[data-scope="center:mn-minneapolis"] .tile[data-metric="serviceLevel"] .reported',
    );
    await expect.poll(() => tile.textContent(), poll).toContain('staff meeting 50%');
    expect(await page.locator('.reported-table').textContent()).toContain('50.0 %');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('the sign-in page and the live board pass axe too', async () => {
    const { callId, legs } = await f.server.createCall('PCMU');
    const audio = talking(legs, 20);
    try {
      const page = await signedInPage(f, 'exec', 'light', { width: 1440, height: 900 });
      await page.goto(f.server.earshot.url);
      await page.locator(`.row[data-call-id="${callId}"]`).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: /sign in/i }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await audio.stop();
      await f.server.api('DELETE', `/api/v1/calls/${callId}`);
    }
  });

  it('an admin moves between all admin tabs, and a bad new user shows the server’s field messages', async () => {
    const page = await signedInPage(f, 'admin', 'light', { width: 1440, height: 900 });
    await page.goto(`${f.server.earshot.url}/admin`);
    const tabs = page.getByRole('tablist');
    for (const name of [
      'Audit trail',
      'Telephony',
      'Quality',
      'Ingest tokens',
      'People',
      'Audit trail',
    ]) {
      await page.getByRole('tab', { name }).click();
      await expect
        .poll(() => page.getByRole('tab', { name }).getAttribute('aria-selected'), poll)
        .toBe('true');
      // The tab bar keeps its height whatever the panel holds.
      expect((await tabs.boundingBox())!.height).toBeGreaterThan(20);
      await page.getByRole('tabpanel').waitFor();
      expect(await seriousViolations(page)).toEqual([]);
    }
    await page.getByRole('tab', { name: 'People' }).click();
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.locator('input[name="username"]').fill('x');
    await dialog.locator('input[name="password"]').fill('short-pass');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const error = dialog.getByRole('alert');
    await expect.poll(() => error.textContent(), poll).toMatch(/username/);
    expect(await error.textContent()).not.toBe('invalid user');
    expect(await seriousViolations(page)).toEqual([]);
  });
});
