import { describe, expect, it } from 'vitest';
import { drawSample, type Candidate } from './sampling.ts';

/** Agent `a<i>` has `counts[i]` calls, the first `flagged[i]` of them flagged. */
function floor(counts: number[], flagged: number[] = []): Candidate[] {
  return counts.flatMap((n, i) =>
    Array.from({ length: n }, (_, j) => ({
      callId: `call-${i}-${String(j).padStart(3, '0')}`,
      agentId: `a${i}`,
      flagged: j < (flagged[i] ?? 0),
    })),
  );
}

const EVALUATORS = ['e1', 'e2', 'e3'];

describe('sampling', () => {
  it('on a fixed seed the draw is the same, whatever order the calls come in', () => {
    const calls = floor([12, 7, 2, 9]);
    const options = { perAgent: 3, flaggedShare: null, evaluators: EVALUATORS, seed: 'week-48' };
    const first = drawSample(calls, options);
    const again = drawSample([...calls].reverse(), options);
    expect(again).toEqual(first);
    expect(drawSample(calls, { ...options, seed: 'week-49' }).picks).not.toEqual(first.picks);
  });

  it("draws N per agent among eligible calls, all of a short agent's, spread evenly over evaluators", () => {
    const calls = floor([12, 7, 2, 9, 5]);
    const { picks, short } = drawSample(calls, {
      perAgent: 3,
      flaggedShare: null,
      evaluators: EVALUATORS,
      seed: 's',
    });
    const of = (agent: string) => picks.filter((p) => p.agentId === agent);
    expect(
      Object.fromEntries(['a0', 'a1', 'a2', 'a3', 'a4'].map((a) => [a, of(a).length])),
    ).toEqual({
      a0: 3,
      a1: 3,
      a2: 2,
      a3: 3,
      a4: 3,
    });
    expect(short).toEqual([{ agentId: 'a2', eligible: 2 }]);
    const ids = new Set(calls.map((c) => c.callId));
    expect(picks.every((p) => ids.has(p.callId))).toBe(true);
    expect(new Set(picks.map((p) => p.callId)).size).toBe(picks.length);
    const load = EVALUATORS.map((e) => picks.filter((p) => p.evaluatorId === e).length);
    expect(Math.max(...load) - Math.min(...load)).toBeLessThanOrEqual(1);
    // An agent's three calls go to three evaluators, not all to one.
    expect(new Set(of('a0').map((p) => p.evaluatorId)).size).toBe(3);
  });

  it("takes the stated share of each agent's draw from flagged calls, filling from the rest", () => {
    const calls = floor([25, 12], [5, 1]);
    const { picks } = drawSample(calls, {
      perAgent: 4,
      flaggedShare: 0.5,
      evaluators: EVALUATORS,
      seed: 'x',
    });
    const flaggedOf = (agent: string) =>
      picks.filter((p) => p.agentId === agent && p.flagged).length;
    expect(flaggedOf('a0')).toBe(2);
    // a1 has one flagged call: the other three come from its unflagged ones.
    expect(flaggedOf('a1')).toBe(1);
    expect(picks.filter((p) => p.agentId === 'a1')).toHaveLength(4);
  });

  it('over many seeds, each eligible call is drawn at its expected rate (within 4.5 standard deviations)', () => {
    // Agent a0: 10 calls, 4 flagged; 4 drawn, half from flagged: a flagged call is drawn with
    // p = 2/4, an unflagged one with p = 2/6. Agent a1: 10 calls, unweighted plan of 3 (p = 0.3).
    const runs = 4000;
    const weighted = floor([10], [4]);
    const plain = floor([0, 10]);
    const counts = new Map<string, number>();
    for (let i = 0; i < runs; i++) {
      const seed = `seed-${i}`;
      const picks = [
        ...drawSample(weighted, { perAgent: 4, flaggedShare: 0.5, evaluators: ['e'], seed }).picks,
        ...drawSample(plain, { perAgent: 3, flaggedShare: null, evaluators: ['e'], seed }).picks,
      ];
      for (const p of picks) counts.set(p.callId, (counts.get(p.callId) ?? 0) + 1);
    }
    const expectRate = (call: Candidate, p: number) => {
      const sd = Math.sqrt(runs * p * (1 - p));
      const drawn = counts.get(call.callId) ?? 0;
      expect(Math.abs(drawn - runs * p), `${call.callId}: ${drawn} of ${runs}`).toBeLessThan(
        4.5 * sd,
      );
    };
    for (const call of weighted) expectRate(call, call.flagged ? 2 / 4 : 2 / 6);
    for (const call of plain) expectRate(call, 3 / 10);
    // A chi-square over a1's calls (9 degrees of freedom): below 27.9, its 0.1 % point.
    const chi = plain.reduce(
      (sum, c) => sum + ((counts.get(c.callId) ?? 0) - runs * 0.3) ** 2 / (runs * 0.3),
      0,
    );
    expect(chi).toBeLessThan(27.9);
  });
});
