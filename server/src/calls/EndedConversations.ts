import { conversationOf, type Conversation } from '../kpi/kpiMath.ts';
import type { Call } from '@earshot/shared';

/**
 * How long, and how many, ended calls are kept for the audio KPIs: two days (today's
 * window and the 24 h a repeat call looks back), at most 100,000 calls (about 30 MB).
 */
const KEEP_MS = 48 * 3_600_000;
const KEEP_MAX = 100_000;

/**
 * The audio figures of calls that ended in the last two days (the KPIs' talk and silence
 * shares), oldest first and bounded. Thousands of ended calls share a few hundred places:
 * one copy of each name is kept.
 */
export class EndedConversations {
  readonly #kept: Conversation[] = [];
  readonly #names = new Map<string, string>();

  add(call: Call): void {
    const ended = conversationOf(call);
    ended.center = this.#intern(ended.center);
    ended.region = this.#intern(ended.region);
    ended.team = this.#intern(ended.team);
    ended.agentId = this.#intern(ended.agentId);
    const kept = this.#kept;
    kept.push(ended);
    const cutoff = Date.now() - KEEP_MS;
    let old = 0;
    while (old < kept.length && (kept[old]!.endedAt! < cutoff || kept.length - old > KEEP_MAX))
      old++;
    if (old) kept.splice(0, old);
  }

  list(): readonly Conversation[] {
    return this.#kept;
  }

  #intern(name: string): string {
    const known = this.#names.get(name);
    if (known !== undefined) return known;
    if (this.#names.size < KEEP_MAX) this.#names.set(name, name);
    return name;
  }
}
