/** A leg reading at or above this counts as someone talking (about -36 dBFS). */
export const SPEECH_LEVEL = 0.4;
/** Both legs quiet this long, while the ACD says talking, is dead air worth a flag. */
export const DEAD_AIR_FLAG_MS = 30_000;
/** Looked back over this long to tell whether both sides are talking during a hold. */
const RECENT_MS = 5_000;
const HOLD_TALK_MS = 1_500;

export type Discrepancy = 'held-but-talking' | 'dead-air';

export interface ConversationStats {
  agentTalkMs: number;
  customerTalkMs: number;
  overtalkMs: number;
  silenceMs: number;
  durationMs: number;
  longestDeadAirMs: number;
  /** Agent share of the time anyone talked (0..1), or null before anyone did. */
  talkRatio: number | null;
  /** Share of the call where nobody talked (0..1), or null before any audio. */
  silenceShare: number | null;
}

/**
 * What one call's audio shows, from its legs' levels sampled a few times a second: who
 * talks how much, overtalk, silence, the longest dead air, and where that disagrees with
 * what the ACD says (on hold yet both talking; talking through 30 s of dead air).
 */
export class ConversationMeter {
  #agent = 0;
  #customer = 0;
  #overtalk = 0;
  #silence = 0;
  #duration = 0;
  #deadAir = 0;
  #longestDeadAir = 0;
  #recent: { agent: boolean; customer: boolean; ms: number }[] = [];
  readonly flags = new Set<Discrepancy>();
  /** How many times a discrepancy was raised on this call. */
  discrepancies = 0;

  /** Adds `ms` of audio at these levels; returns the discrepancies raised by it. */
  update(agentLevel: number, customerLevel: number, ms: number, held: boolean): Discrepancy[] {
    const agent = agentLevel >= SPEECH_LEVEL;
    const customer = customerLevel >= SPEECH_LEVEL;
    this.#duration += ms;
    if (agent) this.#agent += ms;
    if (customer) this.#customer += ms;
    if (agent && customer) this.#overtalk += ms;
    if (!agent && !customer) this.#silence += ms;
    // Hold music fills the line: silence on hold is not dead air.
    this.#deadAir = !agent && !customer && !held ? this.#deadAir + ms : 0;
    this.#longestDeadAir = Math.max(this.#longestDeadAir, this.#deadAir);
    this.#recent.push({ agent, customer, ms });
    let span = this.#recent.reduce((s, r) => s + r.ms, 0);
    while (span > RECENT_MS && this.#recent.length > 1) span -= this.#recent.shift()!.ms;

    const raised: Discrepancy[] = [];
    const set = (flag: Discrepancy, on: boolean) => {
      if (on && !this.flags.has(flag)) {
        this.flags.add(flag);
        this.discrepancies++;
        raised.push(flag);
      } else if (!on) this.flags.delete(flag);
    };
    const talkedRecently = (leg: 'agent' | 'customer') =>
      this.#recent.reduce((s, r) => s + (r[leg] ? r.ms : 0), 0);
    set(
      'held-but-talking',
      held && talkedRecently('agent') >= HOLD_TALK_MS && talkedRecently('customer') >= HOLD_TALK_MS,
    );
    set('dead-air', this.#deadAir >= DEAD_AIR_FLAG_MS);
    return raised;
  }

  stats(): ConversationStats {
    const talk = this.#agent + this.#customer;
    return {
      agentTalkMs: this.#agent,
      customerTalkMs: this.#customer,
      overtalkMs: this.#overtalk,
      silenceMs: this.#silence,
      durationMs: this.#duration,
      longestDeadAirMs: this.#longestDeadAir,
      talkRatio: talk > 0 ? this.#agent / talk : null,
      silenceShare: this.#duration > 0 ? this.#silence / this.#duration : null,
    };
  }
}
