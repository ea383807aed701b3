import { streamTone } from '@earshot/server/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { microphoneRequests } from './support/browser.ts';
import { signedInPage, useConsoleServer } from './support/console-server.ts';

const f = useConsoleServer();

const level = async (page: Page, name: string) =>
  Number(await page.getByRole('meter', { name, exact: true }).getAttribute('aria-valuenow'));
const poll = { timeout: 5000, interval: 50 };

describe('silent live listening in the console', () => {
  it('a supervisor hears both legs within 1 s, split left/right, with mute, solo and shortcuts; others see who listens; stop frees the consumers', async () => {
    const { callId, legs } = await f.server.createCall('PCMU');
    // Distinguishable legs: a loud 440 Hz agent (-6 dBFS peak) and a quiet 1 kHz customer (-26 dBFS peak).
    const agent = streamTone(f.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 440,
      amplitude: 0.5,
      ssrc: 1,
      maxSeconds: 60,
    });
    const customer = streamTone(f.sender, legs.customer.port, {
      codec: 'PCMU',
      frequency: 1000,
      amplitude: 0.05,
      ssrc: 2,
      maxSeconds: 60,
    });
    try {
      const page = await signedInPage(f, 'exec');
      await page.goto(f.server.earshot.url);
      const row = page.locator(`.row[data-call-id="${callId}"]`);
      await row.getByRole('button', { name: 'Listen', exact: true }).click();

      const strip = page.locator(`article.strip[data-call-id="${callId}"]`);
      await expect.poll(() => strip.getAttribute('data-first-audio-ms'), poll).not.toBeNull();
      expect(Number(await strip.getAttribute('data-first-audio-ms'))).toBeLessThan(1000);
      // Both legs arrive, each on its own meter: -9 dBFS RMS reads 0.85, -29 dBFS reads 0.52.
      await expect.poll(() => level(page, 'Agent received level'), poll).toBeGreaterThan(0.78);
      await expect.poll(() => level(page, 'Customer received level'), poll).toBeGreaterThan(0.42);
      expect(await level(page, 'Customer received level')).toBeLessThan(0.62);

      // Split: agent left, customer right. Muting the customer silences the right channel only.
      await strip.getByRole('button', { name: 'Stereo split' }).click();
      await strip.getByRole('button', { name: 'Mute customer' }).click();
      await expect.poll(() => level(page, 'Output right'), poll).toBeLessThan(0.05);
      await expect.poll(() => level(page, 'Output left'), poll).toBeGreaterThan(0.78);
      // Solo the customer: the left (agent) goes quiet, the right carries the customer.
      await strip.getByRole('button', { name: 'Mute customer' }).click();
      await strip.getByRole('button', { name: 'Solo customer' }).click();
      await expect.poll(() => level(page, 'Output left'), poll).toBeLessThan(0.05);
      await expect.poll(() => level(page, 'Output right'), poll).toBeGreaterThan(0.42);
      expect(await level(page, 'Agent received level')).toBeGreaterThan(0.78); // still received, just not heard
      // Keyboard: 1 solos the agent, m mutes the strip and unmutes it.
      await page.keyboard.press('1');
      await expect.poll(() => level(page, 'Output right'), poll).toBeLessThan(0.05);
      await expect.poll(() => level(page, 'Output left'), poll).toBeGreaterThan(0.78);
      await page.keyboard.press('m');
      await expect.poll(() => level(page, 'Output left'), poll).toBeLessThan(0.05);
      await page.keyboard.press('m');
      // Unsplit, the agent is in both ears (3 dB down each).
      await strip.getByRole('button', { name: 'Stereo split' }).click();
      await expect.poll(() => level(page, 'Output right'), poll).toBeGreaterThan(0.7);

      // A second console sees the first as a listener; the board counts both.
      const other = await signedInPage(f, 'lead', 'light');
      await other.goto(f.server.earshot.url);
      await other
        .locator(`.row[data-call-id="${callId}"]`)
        .getByRole('button', { name: 'Listen', exact: true })
        .click();
      await expect
        .poll(() => strip.locator('.presence').textContent(), poll)
        .toBe('Also listening: Lee Lead');
      await expect
        .poll(() => other.locator('.strip .presence').textContent(), poll)
        .toBe('Also listening: Dana Exec');
      await expect.poll(() => row.getByLabel('2 listening').count(), poll).toBe(1);
      expect(f.server.earshot.listen.sessions).toBe(2);

      // Stopping frees this console's consumers on the server at once.
      await strip.getByRole('button', { name: 'Stop listening' }).click();
      await expect.poll(() => f.server.earshot.listen.sessions, poll).toBe(1);
      const router = f.server.earshot.calls.live(callId)!.tap!.router;
      const dump = await router.dump();
      expect(dump.mapProducerIdConsumerIds.reduce((n, e) => n + e.values.length, 0)).toBe(2);
      expect(await strip.count()).toBe(0);
      // Nothing travels back into the call: no microphone was asked for, and the call's
      // router still has only its two ingest producers.
      expect(await microphoneRequests(page)).toBe(0);
      expect(await microphoneRequests(other)).toBe(0);
      expect(dump.mapProducerIdConsumerIds).toHaveLength(2);

      // When the call ends, the remaining listener's strip says so.
      await f.server.api('DELETE', `/api/v1/calls/${callId}`);
      await expect
        .poll(() => other.locator('.strip .status').textContent(), poll)
        .toBe('Call ended');
      await expect
        .poll(() => other.locator(`.row[data-call-id="${callId}"]`).count(), poll)
        .toBe(0);
    } finally {
      agent.stop();
      customer.stop();
    }
  });

  it('resumes listening by itself after the socket drops and after the media worker dies', async () => {
    const { callId, legs } = await f.server.createCall('PCMU');
    const agent = streamTone(f.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 440,
      amplitude: 0.5,
      ssrc: 1,
      maxSeconds: 60,
    });
    try {
      const page = await signedInPage(f, 'exec');
      await page.goto(f.server.earshot.url);
      await page
        .locator(`.row[data-call-id="${callId}"]`)
        .getByRole('button', { name: 'Listen', exact: true })
        .click();
      const strip = page.locator(`article.strip[data-call-id="${callId}"]`);
      await expect.poll(() => level(page, 'Agent received level'), poll).toBeGreaterThan(0.78);
      // NOTE: every status the strip takes is kept: a re-attach can be over between polls.
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { stripStatuses: string[] }).stripStatuses = seen;
        new MutationObserver((changes) => {
          for (const c of changes)
            seen.push((c.target as Element).getAttribute('data-status') ?? '');
        }).observe(document.body, {
          subtree: true,
          attributes: true,
          attributeFilter: ['data-status'],
        });
      });
      const statuses = () =>
        page.evaluate(() =>
          (window as unknown as { stripStatuses: string[] }).stripStatuses.splice(0),
        );
      const leftLive = async () => {
        let seen: string[] = [];
        await expect
          .poll(
            async () => (seen = [...seen, ...(await statuses())]).some((x) => x !== 'live'),
            poll,
          )
          .toBe(true);
      };

      // The network drops: every console's connection is cut under it.
      for (const socket of f.server.earshot.realtime.io.sockets.sockets.values())
        socket.conn.close();
      await leftLive();
      await expect
        .poll(() => strip.getAttribute('data-status'), { ...poll, timeout: 10_000 })
        .toBe('live');
      await expect.poll(() => level(page, 'Agent received level'), poll).toBeGreaterThan(0.78);
      // The old connection's session was released; the new one holds one.
      await expect.poll(() => f.server.earshot.listen.sessions, poll).toBe(1);

      // The call's mediasoup worker dies: the call is re-tapped and the console re-attaches.
      await statuses();
      process.kill(f.server.earshot.calls.live(callId)!.tap!.workerPid, 'SIGKILL');
      await leftLive();
      await expect
        .poll(() => strip.getAttribute('data-status'), { ...poll, timeout: 10_000 })
        .toBe('live');
      await expect.poll(() => level(page, 'Agent received level'), poll).toBeGreaterThan(0.78);
      expect(page.url()).toBe(`${f.server.earshot.url}/`); // no reload
    } finally {
      agent.stop();
    }
  });
});
