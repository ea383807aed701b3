import { groupInto } from '../util/groupInto.ts';

/** An eligible call a sampling plan may draw. */
export interface Candidate {
  callId: string;
  agentId: string;
  /** The call has tags (someone flagged a moment of it). */
  flagged: boolean;
}

export interface SampleOptions {
  perAgent: number;
  /** The share of each agent's draw taken from flagged calls; null: every call alike. */
  flaggedShare: number | null;
  evaluators: readonly string[];
  seed: string;
}

export interface Pick extends Candidate {
  evaluatorId: string;
}

export interface Sample {
  picks: Pick[];
  /** Agents with fewer eligible calls than the plan asks for. */
  short: { agentId: string; eligible: number }[];
}

/** A 32-bit generator from a seed string (FNV-1a into mulberry32): the same seed, the same draw. */
export function seededRandom(seed: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let state = h >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` items of `pool` chosen uniformly without replacement (a partial Fisher-Yates). */
function choose<T>(pool: readonly T[], count: number, random: () => number): T[] {
  const items = [...pool];
  const n = Math.min(count, items.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (items.length - i));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items.slice(0, n);
}

/**
 * Draws up to `perAgent` calls per agent, uniformly at random among the agent's eligible
 * calls; with a flagged share, that share of each agent's draw (rounded) comes from their
 * flagged calls and the rest from the others, either pool filling in when the other runs
 * short. Calls are spread over the evaluators in turn, each agent's calls across several,
 * so that every evaluator's count differs by at most one. Candidates are ordered by id
 * before drawing: the seed alone decides the draw, whatever order they came in.
 */
export function drawSample(candidates: readonly Candidate[], options: SampleOptions): Sample {
  if (options.evaluators.length === 0) throw new Error('a draw needs at least one evaluator');
  const random = seededRandom(options.seed);
  const byAgent = new Map<string, Candidate[]>();
  for (const c of [...candidates].sort((a, b) =>
    a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0,
  ))
    groupInto(byAgent, c.agentId, c);
  const chosen: Candidate[] = [];
  const short: Sample['short'] = [];
  for (const agentId of [...byAgent.keys()].sort()) {
    const pool = byAgent.get(agentId)!;
    if (pool.length < options.perAgent) short.push({ agentId, eligible: pool.length });
    const k = Math.min(options.perAgent, pool.length);
    if (options.flaggedShare === null) {
      chosen.push(...choose(pool, k, random));
      continue;
    }
    const flagged = pool.filter((c) => c.flagged);
    const plain = pool.filter((c) => !c.flagged);
    let fromFlagged = Math.min(flagged.length, Math.round(options.flaggedShare * k));
    const fromPlain = Math.min(plain.length, k - fromFlagged);
    fromFlagged = k - fromPlain;
    chosen.push(...choose(flagged, fromFlagged, random), ...choose(plain, fromPlain, random));
  }
  const evaluators = choose(options.evaluators, options.evaluators.length, random);
  const start = Math.floor(random() * evaluators.length);
  return {
    picks: chosen.map((c, i) => ({
      ...c,
      evaluatorId: evaluators[(start + i) % evaluators.length]!,
    })),
    short,
  };
}
