import { linearToUlaw } from '@earshot/shared';
import { connectAudioHook } from '@earshot/server/testing/audiohook';
import { connectTwilio, hexSid, twilioSignature } from '@earshot/server/testing/twilio';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signedInPage, useConsoleServer } from './support/console-server.ts';

const ACCOUNT = hexSid('AC');
const TOKEN = '0123456789abcdef0123456789abcdef';
const f = useConsoleServer({
  EARSHOT_TWILIO_ACCOUNT_SID: ACCOUNT,
  EARSHOT_TWILIO_AUTH_TOKEN: TOKEN,
});

const poll = { timeout: 8000, interval: 50 };
const level = async (page: Page, name: string) =>
  Number(await page.getByRole('meter', { name, exact: true }).getAttribute('aria-valuenow'));
/** 20 ms of a tone as µ-law, from frame `n` on. */
const tone = (hz: number, amplitude: number, n: number) =>
  Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(
      Math.round(32767 * amplitude * Math.sin((2 * Math.PI * hz * (n * 160 + i)) / 8000)),
    ),
  );

/** Calls `send(n)` every 20 ms for up to 30 s, until stopped. */
function every20ms(send: (n: number) => void) {
  let stopped = false;
  const start = Date.now();
  const done = (async () => {
    for (let n = 0; n < 1500 && !stopped; n++) {
      const wait = start + n * 20 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      send(n);
    }
  })();
  return async () => {
    stopped = true;
    await done;
  };
}

async function hearsOnBoard(page: Page, callId: string) {
  await page.goto(f.server.earshot.url);
  const row = page.locator(`.row[data-call-id="${callId}"]`);
  await expect.poll(() => row.locator('.col-agent').textContent(), poll).toBe('Kari Olsen');
  await row.getByRole('button', { name: 'Listen', exact: true }).click();
  const strip = page.locator(`article.strip[data-call-id="${callId}"]`);
  await expect.poll(() => strip.getAttribute('data-first-audio-ms'), poll).not.toBeNull();
  await expect.poll(() => level(page, 'Agent received level'), poll).toBeGreaterThan(0.7);
  await expect.poll(() => level(page, 'Customer received level'), poll).toBeGreaterThan(0.3);
  expect(await level(page, 'Customer received level')).toBeLessThan(0.65);
  return strip;
}

describe('calls streamed from the cloud, in the console', () => {
  it('an admin creates an AudioHook integration in the console; an executive hears the Genesys call it streams, live', async () => {
    const admin = await signedInPage(f, 'admin');
    await admin.goto(`${f.server.earshot.url}/admin#streams`);
    await admin.getByLabel('AudioHook integration name').fill('Genesys US East');
    await admin.getByRole('button', { name: 'Create integration' }).click();
    const secrets = admin.locator('.token-secret code');
    await expect.poll(() => secrets.count(), poll).toBe(2);
    const [apiKey, clientSecret] = await secrets.allTextContents();
    const url = `${f.server.earshot.url.replace('http', 'ws')}/api/v1/ingest/audiohook`;
    const genesys = await connectAudioHook({ url, apiKey: apiKey!, clientSecret: clientSecret! });
    const conversationId = crypto.randomUUID();
    expect(
      (await genesys.open({ conversationId, customConfig: { agentId: 'a-olsen' } })).type,
    ).toBe('opened');
    // external (customer) quiet 1000 Hz, internal (agent) loud 440 Hz, interleaved.
    const stop = every20ms((n) => {
      const customer = tone(1000, 0.05, n);
      const agent = tone(440, 0.5, n);
      const frame = new Uint8Array(320);
      for (let i = 0; i < 160; i++) {
        frame[i * 2] = customer[i]!;
        frame[i * 2 + 1] = agent[i]!;
      }
      if (genesys.ws.readyState === genesys.ws.OPEN) genesys.audio(frame, 160);
    });
    try {
      const call = f.server.earshot.calls.list().find((c) => c.externalId === conversationId)!;
      const exec = await signedInPage(f, 'exec');
      const strip = await hearsOnBoard(exec, call.id);
      await admin.reload();
      const row = admin.locator('tr', { hasText: 'Genesys US East' });
      await expect.poll(() => row.locator('td').nth(3).textContent(), poll).toMatch(/^1/);
      await stop();
      await genesys.close();
      await expect.poll(() => strip.locator('.status').textContent(), poll).toBe('Call ended');
    } finally {
      await stop();
    }
  });

  it('an executive hears a Twilio Media Stream live (inbound = customer, outbound = agent)', async () => {
    const url = `${f.server.earshot.url.replace('http', 'ws')}/api/v1/ingest/twilio`;
    const stream = await connectTwilio({ url, signature: twilioSignature(TOKEN, url) });
    const callSid = hexSid('CA');
    stream.connected();
    stream.start({ accountSid: ACCOUNT, callSid, customParameters: { agentId: 'a-olsen' } });
    const stop = every20ms((n) => {
      if (stream.ws.readyState !== stream.ws.OPEN) return;
      stream.media('inbound', n * 20, tone(1000, 0.05, n));
      stream.media('outbound', n * 20, tone(440, 0.5, n));
    });
    try {
      await expect
        .poll(() => f.server.earshot.calls.list().some((c) => c.externalId === callSid), poll)
        .toBe(true);
      const call = f.server.earshot.calls.list().find((c) => c.externalId === callSid)!;
      const exec = await signedInPage(f, 'exec');
      const strip = await hearsOnBoard(exec, call.id);
      await stop();
      stream.stop(ACCOUNT, callSid);
      await expect.poll(() => strip.locator('.status').textContent(), poll).toBe('Call ended');
    } finally {
      await stop();
    }
  });
});
