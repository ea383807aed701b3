import { streamTone } from '@earshot/server/testing';
import { SipTestClient } from '@earshot/server/testing/sip';
import { SIPREC_ENV, SIPREC_ORG, sipTarget } from '@earshot/server/testing/siprec';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signedInPage, useConsoleServer } from './support/console-server.ts';

const f = useConsoleServer(SIPREC_ENV);

const level = async (page: Page, name: string) =>
  Number(await page.getByRole('meter', { name, exact: true }).getAttribute('aria-valuenow'));
const poll = { timeout: 5000, interval: 50 };

describe('a SIPREC call in the console', () => {
  it('an executive hears both legs of a call an SBC sent by SIPREC; the admin sees the peer; BYE ends the strip', async () => {
    await f.server.api('PUT', '/api/v1/org', SIPREC_ORG, { as: 'admin' });
    const sip = await SipTestClient.open('tcp', sipTarget(f.server, 'tcp'));
    const { response, dialog } = await sip.invite('cisco-siprec-offer.txt');
    expect(response.status).toBe(200);
    const call = f.server.earshot.calls.list().find((c) => c.externalId === dialog.callId)!;
    expect(call.agent.name).toBe('Kari Olsen');
    const agent = streamTone(f.sender, call.legs.agent.port, {
      codec: 'PCMU',
      frequency: 440,
      amplitude: 0.5,
      ssrc: 1,
      maxSeconds: 30,
    });
    const customer = streamTone(f.sender, call.legs.customer.port, {
      codec: 'PCMU',
      frequency: 1000,
      amplitude: 0.05,
      ssrc: 2,
      maxSeconds: 30,
    });
    try {
      const page = await signedInPage(f, 'exec');
      await page.goto(f.server.earshot.url);
      const row = page.locator(`.row[data-call-id="${call.id}"]`);
      await expect.poll(() => row.locator('.col-agent').textContent(), poll).toBe('Kari Olsen');
      await row.getByRole('button', { name: 'Listen', exact: true }).click();
      const strip = page.locator(`article.strip[data-call-id="${call.id}"]`);
      await expect.poll(() => strip.getAttribute('data-first-audio-ms'), poll).not.toBeNull();
      expect(Number(await strip.getAttribute('data-first-audio-ms'))).toBeLessThan(1000);
      await expect.poll(() => level(page, 'Agent received level'), poll).toBeGreaterThan(0.78);
      await expect.poll(() => level(page, 'Customer received level'), poll).toBeGreaterThan(0.42);
      expect(await level(page, 'Customer received level')).toBeLessThan(0.62);

      const admin = await signedInPage(f, 'admin');
      await admin.goto(`${f.server.earshot.url}/admin#telephony`);
      await expect.poll(() => admin.getByText('from EARSHOT_SIPREC_PEERS').count(), poll).toBe(1);
      await expect.poll(() => admin.getByText(/1 recording session now/).count(), poll).toBe(1);

      expect((await sip.inDialog('BYE', dialog)).status).toBe(200);
      await expect.poll(() => strip.locator('.status').textContent(), poll).toBe('Call ended');
    } finally {
      agent.stop();
      customer.stop();
      await Promise.all([agent.done, customer.done]);
      sip.close();
    }
  });
});
