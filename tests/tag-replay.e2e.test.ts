import { buildRtp, linearToUlaw, type Call } from '@earshot/shared';
import { decodeWav } from '@earshot/server/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signedInPage, useConsoleServer } from './support/console-server.ts';

const f = useConsoleServer();

const frame = (n: number, frequency: number, amplitude: number) =>
  Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(32767 * amplitude * Math.sin((2 * Math.PI * frequency * (n * 160 + i)) / 8000)),
  );
const level = async (page: Page, name: string) =>
  Number(await page.getByRole('meter', { name, exact: true }).getAttribute('aria-valuenow'));
const poll = { timeout: 8000, interval: 50 };

/**
 * Both legs hum quietly (about -29 dBFS); on request the agent leg beeps loudly (1 kHz,
 * -1 dBFS, 200 ms). Paced RTP, bounded to 60 s.
 */
function callAudio(legs: Record<'agent' | 'customer', { port: number }>) {
  let stopped = false;
  let beepFrom = Infinity;
  let beepSentAt = 0;
  const start = Date.now();
  const done = (async () => {
    for (let n = 0; n < 3000 && !stopped; n++) {
      const wait = start + n * 20 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const beep = n >= beepFrom && n < beepFrom + 10;
      if (n === beepFrom) beepSentAt = Date.now();
      f.sender.send(
        buildRtp(
          { payloadType: 0, sequenceNumber: n, timestamp: n * 160, ssrc: 1 },
          beep ? frame(n, 1000, 0.9) : frame(n, 440, 0.05),
        ),
        legs.agent.port,
        '127.0.0.1',
      );
      f.sender.send(
        buildRtp(
          { payloadType: 0, sequenceNumber: n, timestamp: n * 160, ssrc: 2 },
          frame(n, 700, 0.05),
        ),
        legs.customer.port,
        '127.0.0.1',
      );
    }
  })();
  return {
    /** Beeps one second from now. */
    beepSoon: () => (beepFrom = Math.floor((Date.now() - start) / 20) + 50),
    beepSentAt: () => beepSentAt,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

describe('tags made live land on the recording', () => {
  it('a tag made when the beep is heard is within 250 ms of the beep on replay, and its segment plays the beep', async () => {
    const { callId, legs } = await f.server.createCall('PCMU');
    const audio = callAudio(legs);
    try {
      const page = await signedInPage(f, 'exec');
      await page.goto(f.server.earshot.url);
      await page
        .locator(`.row[data-call-id="${callId}"]`)
        .getByRole('button', { name: 'Listen', exact: true })
        .click();
      await expect.poll(() => level(page, 'Agent received level'), poll).toBeGreaterThan(0.4);

      // The page listens for the beep and tags the moment it hears it.
      const heard = page.evaluate(
        () =>
          new Promise<number>((resolve, reject) => {
            const meter = document.querySelector(
              '[role="meter"][aria-label="Agent received level"]',
            );
            const button = document.querySelector<HTMLButtonElement>(
              'button[aria-label="Tag coaching"]',
            );
            if (!meter || !button) return reject(new Error('no meter or tag button'));
            const deadline = performance.now() + 10_000;
            const watch = () => {
              if (Number(meter.getAttribute('aria-valuenow')) > 0.85) {
                button.click();
                resolve(Date.now());
              } else if (performance.now() > deadline) reject(new Error('no beep heard'));
              else requestAnimationFrame(watch);
            };
            watch();
          }),
      );
      audio.beepSoon();
      await heard;
      const tagRow = page.locator('.tag-list .tag-row');
      await expect.poll(() => tagRow.count(), poll).toBe(1);
      expect(Number(await tagRow.getAttribute('data-offset-ms'))).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await audio.stop();
    }
    await f.server.api('DELETE', `/api/v1/calls/${callId}`);
    const call = (await f.server.api<Call>('GET', `/api/v1/calls/${callId}`)).body;

    // Where the beep is in the recording.
    const wav = decodeWav(
      Buffer.from(
        await (
          await fetch(`${f.server.earshot.url}/api/v1/calls/${callId}/recording`, {
            headers: { cookie: await f.server.cookie('qa') },
          })
        ).arrayBuffer(),
      ),
    );
    const beepMs = (wav.left.findIndex((s) => Math.abs(s) > 0.6 * 32767) / 8000) * 1000;
    expect(Math.abs(beepMs - (audio.beepSentAt() - Date.parse(call.startedAt)))).toBeLessThan(20);

    // The replay page: the tag is a marker, and lands within 250 ms of the beep.
    const replay = await signedInPage(f, 'qa');
    await replay.goto(`${f.server.earshot.url}/review/${callId}`);
    await replay.getByRole('button', { name: /^Marker coaching at / }).waitFor();
    const row = replay.locator('.replay-tags li').first();
    const tagOffset = Number(await row.getAttribute('data-offset-ms'));
    console.log(
      `tag made live landed ${Math.round(tagOffset - beepMs)} ms from the beep in the recording`,
    );
    expect(Math.abs(tagOffset - beepMs)).toBeLessThan(250);

    // Playing the tag's segment (from 1 s before it) plays the beep: the output meter (both
    // channels averaged) reads about 0.47 for the hum and 0.83 for the beep.
    await replay.getByLabel('Seconds before a tag').fill('1');
    await row.getByRole('button', { name: /^Play coaching at / }).click();
    await expect.poll(() => level(replay, 'Replay output'), poll).toBeGreaterThan(0.3);
    expect(await level(replay, 'Replay output')).toBeLessThan(0.65);
    await expect.poll(() => level(replay, 'Replay output'), poll).toBeGreaterThan(0.72);
    // The replay has a clock: the current time moves while playing, the duration stands.
    const clock = replay.getByLabel('Current time');
    const first = await clock.textContent();
    await expect.poll(() => clock.textContent(), poll).not.toBe(first);
    expect(await replay.getByLabel('Duration').textContent()).toMatch(/^\d+:\d\d\.\d$/);
    expect(await replay.locator('.axis span').count()).toBeGreaterThan(1);

    // A reviewer marks the call and the tag reviewed, and the list says so.
    await row.getByRole('button', { name: 'Mark reviewed' }).click();
    await expect.poll(() => row.getByRole('button', { name: 'Reviewed' }).count(), poll).toBe(1);
    await replay.getByRole('button', { name: 'Mark call reviewed' }).click();
    await replay.getByRole('button', { name: '← Recordings' }).click();
    await expect
      .poll(() => replay.locator(`tr[data-call-id="${callId}"]`).textContent(), poll)
      .toContain('Quinn QA');
  });
});
