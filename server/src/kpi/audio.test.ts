import { buildRtp, linearToUlaw, type Call, type KpiSnapshot } from '@earshot/shared';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../test/fixtures.ts';
import { ask, connectConsole } from '../test/consoleClient.ts';
import { TEST_TOKEN } from '../test/harness.ts';

const t = useTestServer();

const tone = (n: number) =>
  Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(12000 * Math.sin((2 * Math.PI * 400 * (n * 160 + i)) / 8000)),
  );
const QUIET = new Uint8Array(160).fill(0xff);

/** Sends `seconds` of paced RTP; `talking(leg, second)` says whether a leg talks then. */
async function converse(
  legs: Record<'agent' | 'customer', { port: number }>,
  seconds: number,
  talking: (leg: 'agent' | 'customer', s: number) => boolean,
): Promise<number> {
  const start = Date.now();
  for (let n = 0; n < seconds * 50; n++) {
    const wait = start + n * 20 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (const [leg, ssrc] of [
      ['agent', 1],
      ['customer', 2],
    ] as const) {
      const payload = talking(leg, n / 50) ? tone(n) : QUIET;
      t.sender.send(
        buildRtp({ payloadType: 0, sequenceNumber: n, timestamp: n * 160, ssrc }, payload),
        legs[leg].port,
        '127.0.0.1',
      );
    }
  }
  return Date.now() - start;
}

const within = (actual: number | null, expected: number, tolerance: number) => {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(tolerance);
};

describe('what the audio shows', () => {
  it('a known speech and silence pattern per leg gives the talk ratio, silence and overtalk within 5 %', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    // 8 s: the agent talks 0-4 s, the customer 2-6 s: overtalk 2-4 s, silence 6-8 s.
    const sentMs = await converse(legs, 8, (leg, s) => (leg === 'agent' ? s < 4 : s >= 2 && s < 6));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const call = (await t.server.api<Call>('GET', `/api/v1/calls/${callId}`)).body;
    const total = call.audio.durationMs;
    // NOTE: on a busy machine the sender can fall behind its 8 s; the call lasts what it sent.
    within(total, sentMs, 400);
    within(call.audio.agentTalkMs, 4000, 0.05 * total);
    within(call.audio.customerTalkMs, 4000, 0.05 * total);
    within(call.audio.overtalkMs, 2000, 0.05 * total);
    within(call.audio.silenceShare, 0.25, 0.05);
    within(call.audio.talkRatio, 0.5, 0.05);
    const kpi = (await t.server.api<KpiSnapshot>('GET', `/api/v1/kpis/call:${callId}?window=30m`))
      .body;
    within(kpi.metrics.talkRatio, 0.5, 0.05);
    within(kpi.metrics.overtalkMs, 2000, 400);
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
  });

  it('follows the ACD: on hold shows on the call, and both sides talking on hold, flickering, is one discrepancy episode', async () => {
    const { callId, legs } = await t.server.createCall('PCMU', {
      externalId: 'acd-hold-1',
      team: 'mpls-care-1',
    });
    // A console on the board sees the call's marker come and go.
    const board = await connectConsole(t.server.earshot.url, await t.server.signIn('exec'));
    const marked: boolean[] = [];
    board.on('board:update', (update) => {
      for (const call of update.upserts)
        if (call.id === callId) marked.push(call.flags.includes('held-but-talking'));
    });
    expect((await ask(board, 'board:subscribe', {})).ok).toBe(true);
    try {
      await converse(legs, 1, (leg) => leg === 'agent');
      const post = (events: unknown[]) =>
        fetch(`${t.server.earshot.url}/api/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
      await post([
        { id: 'h1', type: 'call.held', at: new Date().toISOString(), callId: 'acd-hold-1' },
      ]);
      await t.server.waitForCall(callId, (c) => c.state === 'held', 'the hold to show');
      // On hold, both sides keep talking: syllables (200 ms on, 100 ms off) in bursts of
      // 3 s with 1 s pauses, 12 s in all. Then both are quiet.
      await converse(legs, 12, (_, s) => s % 4 < 3 && Math.floor(s * 10) % 3 !== 2);
      const flagged = (await t.server.api<Call>('GET', `/api/v1/calls/${callId}`)).body;
      expect(flagged.flags).toEqual(['held-but-talking']);
      expect(flagged.episodes).toMatchObject([{ kind: 'held-but-talking', toMs: null }]);
      const kpi = (
        await t.server.api<KpiSnapshot>('GET', '/api/v1/kpis/team:mpls-care-1?window=30m')
      ).body;
      expect(kpi.metrics.discrepancies).toBe(1);
      await converse(legs, 7, () => false);
      const after = await t.server.waitForCall(
        callId,
        (c) => c.flags.length === 0,
        'the episode to end',
      );
      expect(after.discrepancies).toBe(1);
      expect(after.acd.holds).toBe(1);
      // It began after the hold settled (1 s of audio, then 3 s, then 1.5 s of talk) and
      // ended within the last burst's talk plus the 5 s looked back on.
      const [episode] = after.episodes;
      expect(after.episodes).toHaveLength(1);
      expect(episode!.fromMs).toBeGreaterThanOrEqual(4_500);
      expect(episode!.fromMs).toBeLessThan(8_000);
      expect(episode!.toMs).toBeGreaterThan(11_000);
      expect(episode!.toMs).toBeLessThan(17_500);
      // The board showed the marker while it lasted, then took it away.
      expect(marked).toContain(true);
      expect(marked.at(-1)).toBe(false);
      await post([
        { id: 'r1', type: 'call.resumed', at: new Date().toISOString(), callId: 'acd-hold-1' },
      ]);
      await t.server.waitForCall(callId, (c) => c.state === 'talking', 'the resume to show');
      await t.server.api('DELETE', `/api/v1/calls/${callId}`);
      // The ended call keeps its episode.
      const ended = (await t.server.api<Call>('GET', `/api/v1/calls/${callId}`)).body;
      expect(ended.episodes).toEqual(after.episodes);
    } finally {
      board.close();
    }
  });
});
