import { describe, expect, it } from 'vitest';
import { ConversationMeter } from './ConversationMeter.ts';

const feed = (
  meter: ConversationMeter,
  seconds: number,
  agent: number,
  customer: number,
  held = false,
) => {
  const raised = [];
  for (let i = 0; i < seconds * 4; i++) raised.push(...meter.update(agent, customer, 250, held));
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

  it('flags both sides talking while the ACD says on hold, and 30 s of dead air while talking', () => {
    const meter = new ConversationMeter();
    expect(feed(meter, 10, 0.9, 0, true)).toEqual([]); // hold music, customer waits: fine
    expect(feed(meter, 3, 0.7, 0.7, true)).toEqual(['held-but-talking']);
    expect(meter.flags.has('held-but-talking')).toBe(true);
    feed(meter, 6, 0, 0, false);
    expect(meter.flags.has('held-but-talking')).toBe(false);
    expect(feed(meter, 29, 0, 0, true)).toEqual([]); // silent hold is not dead air
    expect(feed(meter, 30, 0, 0, false)).toEqual(['dead-air']);
    expect(meter.discrepancies).toBe(2);
    expect(meter.stats().longestDeadAirMs).toBe(30_000);
  });
});
