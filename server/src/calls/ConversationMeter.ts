import type { LevelReading } from '../ingest/LevelMeter.ts';

/** A leg reading at or above this counts as someone talking (about -36 dBFS). */
export const SPEECH_LEVEL = 0.4;
/** Both legs quiet this long, while the ACD says talking, is dead air worth a flag. */
export const DEAD_AIR_FLAG_MS = 30_000;
/** Looked back over this long to tell whether both sides are talking during a hold. */
const RECENT_MS = 5_000;
const HOLD_TALK_MS = 1_500;
/**
 * Speech dips between syllables in most quarter seconds; hold music hardly ever. A leg
 * whose voiced readings dip less often than this is music, not a person.
 */
const SPEECH_DIP_SHARE = 0.5;
/**
 * The ACD's hold and resume reach Earshot a moment before or after the audio changes: the
 * first seconds after either are not held against the call.
 */
export const HOLD_SETTLE_MS = 3_000;
/** An episode ends once its condition has been false this long (it does not flicker). */
export const EPISODE_CLEAR_MS = 5_000;
const MINUTE_MS = 60_000;
/** Episodes listed per call; more are still counted. */
const MAX_EPISODES = 100;

export type Discrepancy = 'held-but-talking' | 'dead-air';

/** One stretch of a call where the audio disagreed with the ACD, in call time. */
export interface DiscrepancyEpisode {
  kind: Discrepancy;
  /** Milliseconds from the start of the call's audio. */
  fromMs: number;
  /** When it ended, or null while it lasts. */
  toMs: number | null;
}

export interface ConversationStats {
  agentTalkMs: number;
  customerTalkMs: number;
  overtalkMs: number;
  silenceMs: number;
  durationMs: number;
  longestDeadAirMs: number;
  /** Agent share of the time anyone talked (0..1), or null before anyone did. */
  talkRatio: number | null;
  /** Share of the call off hold where nobody talked (0..1), or null before any audio. */
  silenceShare: number | null;
}

interface Recent {
  /** Call time at the end of the reading. */
  at: number;
  ms: number;
  agent: boolean;
  customer: boolean;
  agentDipped: boolean;
  customerDipped: boolean;
}

/**
 * What one call's audio shows, from its legs' readings a few times a second: who talks how
 * much, overtalk, silence, the longest dead air (hold is none of these: its music is not
 * talk), and the episodes where that disagrees with what the ACD says (on hold yet both
 * talking; talking through 30 s of dead air). An episode starts when its condition holds
 * and ends once it has been false for 5 s, so a flickering condition is one episode.
 */
export class ConversationMeter {
  #agent = 0;
  #customer = 0;
  #overtalk = 0;
  #silence = 0;
  #duration = 0;
  #held = 0;
  #deadAir = 0;
  #longestDeadAir = 0;
  #wasHeld = false;
  #holdChangedAt = 0;
  #recent: Recent[] = [];
  /** The last minute off hold: per reading, its length and whether both sides talked. */
  #minute: { ms: number; both: boolean }[] = [];
  #minuteMs = 0;
  #minuteBoth = 0;
  readonly #open = new Map<Discrepancy, { episode: DiscrepancyEpisode; lastTrueAt: number }>();
  readonly episodes: DiscrepancyEpisode[] = [];
  /** The discrepancies showing now (an episode is open). */
  readonly flags = new Set<Discrepancy>();
  /** How many discrepancy episodes the call had. */
  discrepancies = 0;

  /** Adds `ms` of audio with these readings; returns the discrepancies that began. */
  update(
    agentReading: LevelReading,
    customerReading: LevelReading,
    ms: number,
    held: boolean,
  ): Discrepancy[] {
    const agent = agentReading.level >= SPEECH_LEVEL;
    const customer = customerReading.level >= SPEECH_LEVEL;
    if (held !== this.#wasHeld) {
      this.#wasHeld = held;
      this.#holdChangedAt = this.#duration;
    }
    this.#duration += ms;
    if (held) {
      this.#held += ms;
    } else {
      if (agent) this.#agent += ms;
      if (customer) this.#customer += ms;
      if (agent && customer) this.#overtalk += ms;
      if (!agent && !customer) this.#silence += ms;
    }
    if (!held) {
      const both = agent && customer;
      this.#minute.push({ ms, both });
      this.#minuteMs += ms;
      if (both) this.#minuteBoth += ms;
      while (this.#minuteMs - this.#minute[0]!.ms >= MINUTE_MS) {
        const old = this.#minute.shift()!;
        this.#minuteMs -= old.ms;
        if (old.both) this.#minuteBoth -= old.ms;
      }
    }
    // Hold music fills the line: silence on hold is not dead air.
    this.#deadAir = !agent && !customer && !held ? this.#deadAir + ms : 0;
    this.#longestDeadAir = Math.max(this.#longestDeadAir, this.#deadAir);
    this.#recent.push({
      at: this.#duration,
      ms,
      agent,
      customer,
      agentDipped: agent && agentReading.dipped,
      customerDipped: customer && customerReading.dipped,
    });
    let span = this.#recent.reduce((s, r) => s + r.ms, 0);
    while (span > RECENT_MS && this.#recent.length > 1) span -= this.#recent.shift()!.ms;

    // Only what was heard since the hold settled counts (not the talk just before it).
    const since = this.#holdChangedAt + HOLD_SETTLE_MS;
    const speaking = (leg: 'agent' | 'customer') => {
      let voiced = 0;
      let dipped = 0;
      for (const r of this.#recent) {
        if (r.at <= since) continue;
        if (r[leg]) voiced += r.ms;
        if (r[leg === 'agent' ? 'agentDipped' : 'customerDipped']) dipped += r.ms;
      }
      return voiced >= HOLD_TALK_MS && dipped >= SPEECH_DIP_SHARE * voiced;
    };
    const began: Discrepancy[] = [];
    if (this.#observe('held-but-talking', held && speaking('agent') && speaking('customer'), 0))
      began.push('held-but-talking');
    if (this.#observe('dead-air', this.#deadAir >= DEAD_AIR_FLAG_MS, this.#deadAir))
      began.push('dead-air');
    return began;
  }

  /** Records whether `kind`'s condition holds now (for `since` ms); true when an episode began. */
  #observe(kind: Discrepancy, holds: boolean, since: number): boolean {
    const now = this.#duration;
    const open = this.#open.get(kind);
    if (holds) {
      if (open) {
        open.lastTrueAt = now;
        return false;
      }
      const episode: DiscrepancyEpisode = { kind, fromMs: Math.max(0, now - since), toMs: null };
      this.#open.set(kind, { episode, lastTrueAt: now });
      this.flags.add(kind);
      this.discrepancies++;
      if (this.episodes.length < MAX_EPISODES) this.episodes.push(episode);
      return true;
    }
    if (open && now - open.lastTrueAt >= EPISODE_CLEAR_MS) this.#close(kind, open);
    return false;
  }

  #close(kind: Discrepancy, open: { episode: DiscrepancyEpisode; lastTrueAt: number }): void {
    open.episode.toMs = open.lastTrueAt;
    this.#open.delete(kind);
    this.flags.delete(kind);
  }

  /** The share of the last minute off hold in which both sides talked (0..1), or null before 10 s of it. */
  get overtalkLastMinute(): number | null {
    return this.#minuteMs >= 10_000 ? this.#minuteBoth / this.#minuteMs : null;
  }

  /** How long both legs have been quiet, off hold, up to now. */
  get deadAirMs(): number {
    return this.#deadAir;
  }

  /** Ends the episodes still open (the call ended). */
  end(): void {
    for (const [kind, open] of this.#open) this.#close(kind, open);
  }

  stats(): ConversationStats {
    const talk = this.#agent + this.#customer;
    const offHold = this.#duration - this.#held;
    return {
      agentTalkMs: this.#agent,
      customerTalkMs: this.#customer,
      overtalkMs: this.#overtalk,
      silenceMs: this.#silence,
      durationMs: this.#duration,
      longestDeadAirMs: this.#longestDeadAir,
      talkRatio: talk > 0 ? this.#agent / talk : null,
      silenceShare: offHold > 0 ? this.#silence / offHold : null,
    };
  }
}
