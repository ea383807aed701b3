import type { Observation } from '@earshot/shared';
import { describe, expect, it } from 'vitest';
import { hum } from './support/audio.ts';
import { seriousViolations } from './support/axe.ts';
import { signedInPage, useConsoleServer } from './support/console-server.ts';

const f = useConsoleServer();
const poll = { timeout: 8000, interval: 50 };

describe('the listening hour', () => {
  it('an executive hears three calls one after another with no click, and records an observation by keyboard', async () => {
    const calls = [];
    for (let i = 0; i < 3; i++) {
      calls.push(await f.server.createCall('PCMU'));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const audio = hum(f.sender, calls, 40);
    try {
      const page = await signedInPage(f, 'exec');
      await page.goto(f.server.earshot.url);
      await page.locator(`.row[data-call-id="${calls[2]!.callId}"]`).waitFor();
      await page.getByText('Listening hour').click();
      await page.getByLabel('Next call').selectOption('longest');
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      const live = (callId: string) =>
        expect
          .poll(
            () =>
              page.locator(`.strip[data-call-id="${callId}"]`).getAttribute('data-first-audio-ms'),
            poll,
          )
          .not.toBeNull();
      // The longest call first; each time the call heard ends, the next starts by itself.
      for (const [i, call] of calls.entries()) {
        await live(call.callId);
        expect(await page.locator('.hour-played li').count()).toBe(i + 1);
        if (i < calls.length - 1) await f.server.api('DELETE', `/api/v1/calls/${call.callId}`);
      }
      expect(await seriousViolations(page)).toEqual([]);
      // What was heard, by keyboard: reason 1, not resolved, negative, the data looks wrong.
      await page.keyboard.press('o');
      const dialog = page.getByRole('dialog', { name: 'Observation' });
      await dialog.waitFor();
      // The organisation's reasons are in before the keys that pick among them.
      await dialog.locator('option').first().waitFor({ state: 'attached' });
      for (const key of ['1', 'n', '-', 'w', 'Enter']) await page.keyboard.press(key);
      await dialog.waitFor({ state: 'detached', timeout: 5000 }).catch(async (e: unknown) => {
        throw new Error(`the observation was not saved: ${await dialog.textContent()}`, {
          cause: e,
        });
      });
      const observed = (
        await f.server.api<{ observations: Observation[] }>(
          'GET',
          `/api/v1/observations?callId=${calls[2]!.callId}`,
        )
      ).body.observations;
      expect(observed).toEqual([
        expect.objectContaining({
          reason: 'billing',
          resolved: 'no',
          mood: 'negative',
          dataLooksWrong: true,
          observer: expect.objectContaining({ name: 'Dana Exec' }),
        }),
      ]);
      // And it shows on the heard-vs-reported page.
      await page.getByRole('link', { name: 'Heard' }).click();
      await expect
        .poll(() => page.locator('.heard-page .count').textContent(), poll)
        .toBe('1 calls observed');
      expect(await page.locator('.heard-table').textContent()).toContain('Reason: billing');
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await audio.stop();
      await f.server.api('DELETE', `/api/v1/calls/${calls[2]!.callId}`);
    }
  });
});
