import { buildRtp, linearToUlaw } from '@earshot/shared';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { seriousViolations } from './support/axe.ts';
import { signedInPage, useConsoleServer } from './support/console-server.ts';

const f = useConsoleServer();
const poll = { timeout: 10_000, interval: 50 };
const BEEP_MS = 2000;

const level = async (page: Page) =>
  Number(
    await page
      .getByRole('meter', { name: 'Replay output', exact: true })
      .getAttribute('aria-valuenow'),
  );

/** A 4 s call: both legs silent but for a loud 1 kHz beep on the agent leg at 2.0-2.4 s. */
async function recordedCall(): Promise<string> {
  const { callId, legs } = await f.server.createCall('PCMU');
  const start = Date.now();
  for (let n = 0; n < 200; n++) {
    const wait = start + n * 20 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const beep = n >= BEEP_MS / 20 && n < BEEP_MS / 20 + 20;
    const agent = Uint8Array.from({ length: 160 }, (_, i) =>
      linearToUlaw(beep ? 32767 * 0.9 * Math.sin((2 * Math.PI * 1000 * (n * 160 + i)) / 8000) : 0),
    );
    const silence = new Uint8Array(160).fill(linearToUlaw(0));
    for (const [leg, payload, ssrc] of [
      ['agent', agent, 1],
      ['customer', silence, 2],
    ] as const)
      f.sender.send(
        buildRtp({ payloadType: 0, sequenceNumber: n, timestamp: n * 160, ssrc }, payload),
        legs[leg].port,
        '127.0.0.1',
      );
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  return callId;
}

describe('QA evaluations in the console', () => {
  it('a lead publishes a form; a reviewer scores a call citing a moment; the agent hears it and disputes; the reviewer re-scores; both versions show', async () => {
    const callId = await recordedCall();
    // The moment to cite: a coaching tag where the agent's beep is.
    const tag = await f.server.api<{ id: string }>('POST', `/api/v1/calls/${callId}/tags`, {
      offsetMs: BEEP_MS,
      label: 'coaching',
      note: 'Listen to this',
      leg: 'agent',
    });
    expect(tag.status).toBe(201);
    await f.server.api('DELETE', `/api/v1/calls/${callId}`);

    // The QA lead builds and publishes a form.
    const lead = await signedInPage(f, 'qa-lead');
    await lead.goto(`${f.server.earshot.url}/quality#forms`);
    await lead.getByRole('button', { name: 'New form' }).click();
    await lead.getByLabel('Form name').fill('Care basics');
    await lead.getByLabel('Section 1 title').fill('Opening');
    await lead.getByLabel('Question 1.1 text').fill('Greeted the customer');
    await lead.getByRole('button', { name: 'Publish' }).click();
    await lead.getByText('Published version 1').waitFor();
    expect(await seriousViolations(lead)).toEqual([]);

    // A reviewer evaluates the call on its replay page, citing the tag's moment.
    const qa = await signedInPage(f, 'qa');
    await qa.goto(`${f.server.earshot.url}/review/${callId}`);
    const panel = qa.getByRole('region', { name: 'Evaluation' });
    await panel.getByRole('button', { name: 'Evaluate this call' }).click();
    await panel
      .getByRole('group', { name: 'Greeted the customer' })
      .getByRole('button', { name: 'Yes' })
      .click();
    await panel.getByLabel('Cite a tag for "Greeted the customer"').selectOption(tag.body.id);
    await panel.getByRole('button', { name: /^Play the cited moment at 0:02/ }).waitFor();
    await panel.getByRole('button', { name: 'Submit evaluation' }).click();
    await expect.poll(() => panel.locator('.score').textContent(), poll).toBe('100%');
    expect(await seriousViolations(qa)).toEqual([]);

    // The agent opens it, clicks the citation and hears that moment, and disputes.
    const agent = await signedInPage(f, 'agent');
    await agent.goto(`${f.server.earshot.url}/my`);
    await agent.getByRole('link', { name: /\d/ }).first().click();
    const evaluation = agent.getByRole('region', { name: 'Evaluation' });
    await evaluation.locator('.score').waitFor();
    expect(await evaluation.locator('.score').textContent()).toBe('100%');
    // No live console for an agent: no board in the navigation.
    expect(await agent.getByRole('link', { name: 'Live' }).count()).toBe(0);
    await agent.getByRole('meter', { name: 'Replay output' }).waitFor();
    expect(await seriousViolations(agent)).toEqual([]);
    await evaluation.getByRole('button', { name: /^Play the cited moment at 0:02/ }).click();
    await expect.poll(() => level(agent), poll).toBeGreaterThan(0.3);
    await evaluation.getByLabel('What you dispute').fill('I did greet them, at the start');
    await evaluation.getByRole('button', { name: /^Dispute/ }).click();
    await expect
      .poll(() => evaluation.locator('[data-status]').getAttribute('data-status'), poll)
      .toBe('disputed');

    // The reviewer re-scores with a reason.
    await qa.reload();
    await panel.getByText('Disputed by the agent').waitFor();
    await panel.getByLabel('Reason').fill('Heard again: no greeting');
    await panel.getByRole('button', { name: 'Re-score' }).click();
    await panel
      .getByRole('group', { name: 'Greeted the customer' })
      .getByRole('button', { name: 'No' })
      .click();
    await panel.getByRole('button', { name: 'Submit re-score' }).click();
    await expect.poll(() => panel.locator('.score').textContent(), poll).toBe('0%');
    const versions = panel.locator('.revisions li');
    await expect
      .poll(() => versions.allTextContents(), poll)
      .toEqual([
        expect.stringMatching(/^Version 1: 100%/),
        expect.stringMatching(/^Version 2: 0%.*Re-scored: Heard again: no greeting/),
      ]);

    // The agent sees both versions and the outcome of the dispute.
    await agent.reload();
    await evaluation.locator('.revisions li').nth(1).waitFor();
    expect(await evaluation.locator('.revisions li').count()).toBe(2);
    expect(await evaluation.locator('.disputes').textContent()).toContain('Re-scored by Quinn QA');
    await evaluation.getByRole('button', { name: /^Version 1/ }).click();
    await expect.poll(() => evaluation.locator('.score').textContent(), poll).toBe('100%');
  });
});
