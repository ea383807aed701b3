import { describe, expect, it } from 'vitest';
import { ConversationMeter, EPISODE_CLEAR_MS, HOLD_SETTLE_MS } from './ConversationMeter.ts';

/** A leg as speech reads: loud, dipping between syllables. */
const speech = (level: number) => ({ level, dipped: true });
/** A steady sound (hold music, a tone): loud, never dipping. */
const steady = (level: number) => ({ level, dipped: false });
type Reading = ReturnType<typeof speech>;
const level = (x: number | Reading) => (typeof x === 'number' ? speech(x) : x);

const feed = (
  meter: ConversationMeter,
  seconds: number,
  agent: number | Reading,
  customer: number | Reading,
  held = false,
) => {
  const raised = [];
  for (let i = 0; i < seconds * 4; i++)
    raised.push(...meter.update(level(agent), level(customer), 250, held));
  return raised;
};

describe('conversation meter', () => {
  it('measures talk ratio, overtalk, silence and the longest dead air', () => {
    const meter = new ConversationMeter();
    feed(meter, 10, 0.8, 0); // agent talks 10 s
    feed(meter, 4, 0, 0); // 4 s of silence
    feed(meter, 5, 0.1, 0.7); // customer 5 s (agent below the speech level)
    feed(meter, 1, 0.8, 0.8); // 1 s of overtalk
    expect(meter.stats()).toEqual({
      agentTalkMs: 11_000,
      customerTalkMs: 6_000,
      overtalkMs: 1_000,
      silenceMs: 4_000,
      durationMs: 20_000,
      longestDeadAirMs: 4_000,
      talkRatio: 11 / 17,
      silenceShare: 0.2,
    });
  });

  it('does not count hold music as talk, nor hold as silence', () => {
    const meter = new ConversationMeter();
    feed(meter, 10, 0.8, 0.6); // 10 s of talk each way, overlapping
    feed(meter, 30, steady(0.9), 0, true); // 30 s on hold with music on the agent leg
    feed(meter, 10, 0, 0); // 10 s of silence after
    const stats = meter.stats();
    expect(stats.agentTalkMs).toBe(10_000);
    expect(stats.durationMs).toBe(50_000);
    expect(stats.silenceShare).toBe(0.5);
    expect(meter.discrepancies).toBe(0);
  });

  it('flags both sides talking while the ACD says on hold, and 30 s of dead air while talking', () => {
    const meter = new ConversationMeter();
    expect(feed(meter, 10, steady(0.9), 0, true)).toEqual([]); // hold music, customer waits
    expect(feed(meter, 3, 0.7, 0.7, true)).toEqual(['held-but-talking']);
    expect(meter.flags.has('held-but-talking')).toBe(true);
    feed(meter, 6, 0, 0, false);
    expect(meter.flags.has('held-but-talking')).toBe(false);
    expect(feed(meter, 29, 0, 0, true)).toEqual([]); // silent hold is not dead air
    expect(feed(meter, 30, 0, 0, false)).toEqual(['dead-air']);
    expect(meter.discrepancies).toBe(2);
    expect(meter.stats().longestDeadAirMs).toBe(30_000);
  });

  it('hold music with the customer talking over it is not both sides talking', () => {
    const meter = new ConversationMeter();
    expect(feed(meter, 20, steady(0.9), 0.7, true)).toEqual([]);
    expect(meter.flags.size).toBe(0);
  });

  it('a flickering condition is one episode with a start and an end, flagged while it lasts', () => {
    const meter = new ConversationMeter();
    feed(meter, 10, 0.7, 0.7); // talking, not held
    // On hold, yet both keep talking, in bursts with short pauses, for 20 s.
    const raised = [];
    for (let burst = 0; burst < 5; burst++) {
      raised.push(...feed(meter, 3, 0.7, 0.7, true));
      raised.push(...feed(meter, 1, 0, 0, true));
      expect(meter.flags.has('held-but-talking')).toBe(burst > 0 || raised.length > 0);
    }
    expect(raised).toEqual(['held-but-talking']);
    // Quiet on hold: the episode ends 5 s after its condition last held.
    feed(meter, 10, steady(0.9), 0, true);
    expect(meter.flags.size).toBe(0);
    expect(meter.discrepancies).toBe(1);
    const [episode] = meter.episodes;
    expect(episode!.kind).toBe('held-but-talking');
    // It began once the hold had settled and 1.5 s of talk each way showed after it.
    expect(episode!.fromMs).toBeGreaterThanOrEqual(10_000 + HOLD_SETTLE_MS + 1_500);
    expect(episode!.fromMs).toBeLessThanOrEqual(10_000 + HOLD_SETTLE_MS + 4_000);
    // It ended when the talk last showed in the 5 s looked back on: the last burst ends
    // 29 s into the call, and its talk shows for up to 3.5 s more.
    expect(episode!.toMs).toBeGreaterThan(29_000);
    expect(episode!.toMs).toBeLessThanOrEqual(32_500);
    expect(meter.episodes).toHaveLength(1);
    expect(EPISODE_CLEAR_MS).toBe(5_000);
  });

  it('the moment a hold begins or ends is not held against the call', () => {
    const meter = new ConversationMeter();
    feed(meter, 10, 0.7, 0.7);
    // The ACD says held a second before the talk stops (its events come in batches).
    expect(feed(meter, 1, 0.7, 0.7, true)).toEqual([]);
    expect(feed(meter, 10, steady(0.9), 0, true)).toEqual([]);
    expect(meter.discrepancies).toBe(0);
  });

  it('ends the episodes still open when the call ends', () => {
    const meter = new ConversationMeter();
    feed(meter, 40, 0, 0);
    expect(meter.episodes).toEqual([{ kind: 'dead-air', fromMs: 0, toMs: null }]);
    meter.end();
    expect(meter.episodes).toEqual([{ kind: 'dead-air', fromMs: 0, toMs: 40_000 }]);
    expect(meter.flags.size).toBe(0);
  });
});
