import type { Random } from './random.ts';
import {
  holdMusic,
  SAMPLE_RATE,
  type Clip,
  type Speaker,
  type Topic,
  type VoiceBank,
} from './voices.ts';

interface Segment {
  start: number;
  clip: Clip;
  gain: number;
}

const FRAME = 160; // 20 ms at 8 kHz
const HOLD_MUSIC = holdMusic(12);

/**
 * Both legs of one call as a timeline in samples: turns that alternate with pauses and
 * the odd overlap or backchannel, and hold stretches (music on the agent leg, the
 * customer leg quiet). `frame(leg, n)` gives the n-th 20 ms frame of a leg.
 */
export class Conversation {
  readonly #segments: Record<Speaker, Segment[]> = { agent: [], customer: [] };
  readonly #cursor: Record<Speaker, number> = { agent: 0, customer: 0 };
  #noise: number;
  /** Length in samples. */
  readonly length: number;

  /**
   * @param talkSeconds total talk time
   * @param holds hold stretches as [startSecond, seconds], in call time, sorted
   */
  constructor(
    voices: VoiceBank,
    random: Random,
    talkSeconds: number,
    holds: [number, number][],
    /** What the call is about (scripted lines); random when not said. */
    about?: Topic,
  ) {
    this.#noise = random.int(1, 0x7fffffff);
    const picked: Topic = random.pick([
      'billing',
      'troubleshooting',
      'billing',
      'troubleshooting',
      'escalation',
    ] as const);
    const topic = about ?? picked;
    const end = Math.round((talkSeconds + holds.reduce((s, [, d]) => s + d, 0)) * SAMPLE_RATE);
    const holdRanges = holds.map(
      ([s, d]) => [Math.round(s * SAMPLE_RATE), Math.round((s + d) * SAMPLE_RATE)] as const,
    );
    const inHold = (t: number) => holdRanges.find(([a, b]) => t >= a && t < b);
    for (const [a, b] of holdRanges) {
      for (let t = a; t < b; t += HOLD_MUSIC.length)
        this.#segments.agent.push({
          start: t,
          clip: HOLD_MUSIC.subarray(0, Math.min(HOLD_MUSIC.length, b - t)),
          gain: 1,
        });
    }
    let t = Math.round(random.between(0.3, 1.0) * SAMPLE_RATE);
    let speaker: Speaker = 'agent';
    let turn = 0;
    while (t < end) {
      const hold = inHold(t);
      if (hold) {
        t = hold[1] + Math.round(random.between(0.3, 0.8) * SAMPLE_RATE);
        speaker = 'agent';
        continue;
      }
      const phase: Topic = turn < 2 ? 'greeting' : end - t < 15 * SAMPLE_RATE ? 'closing' : topic;
      const clip = random.pick(voices.lines[speaker][phase]);
      const nextHold = holdRanges.find(([a]) => a > t);
      const room = Math.min(end, nextHold ? nextHold[0] : end) - t;
      const fitted = clip.length > room ? clip.subarray(0, Math.max(0, room)) : clip;
      this.#segments[speaker].push({ start: t, clip: fitted, gain: 1 });
      const listener: Speaker = speaker === 'agent' ? 'customer' : 'agent';
      if (fitted.length > 2 * SAMPLE_RATE && random.chance(0.3)) {
        const back = random.pick(voices.lines[listener].backchannel);
        this.#segments[listener].push({
          start: t + Math.round(fitted.length * random.between(0.4, 0.7)),
          clip: back,
          gain: 0.8,
        });
      }
      // Pauses of 0.2-1.2 s, and now and then the other side starts before this one ends.
      const gap = random.chance(0.12) ? -random.between(0.2, 0.6) : random.between(0.2, 1.2);
      t += fitted.length + Math.round(gap * SAMPLE_RATE);
      speaker = random.chance(0.85) ? listener : speaker;
      turn += 1;
    }
    for (const list of Object.values(this.#segments)) list.sort((a, b) => a.start - b.start);
    this.length = end;
  }

  /** The n-th 20 ms frame of `leg` (160 samples), silence past the end. */
  frame(leg: Speaker, n: number): Int16Array {
    const out = new Int16Array(FRAME);
    const from = n * FRAME;
    const to = from + FRAME;
    const segments = this.#segments[leg];
    while (this.#cursor[leg] < segments.length) {
      const s = segments[this.#cursor[leg]]!;
      if (s.start + s.clip.length > from) break;
      this.#cursor[leg] += 1;
    }
    for (let i = this.#cursor[leg]; i < segments.length; i++) {
      const s = segments[i]!;
      if (s.start >= to) break;
      const a = Math.max(from, s.start);
      const b = Math.min(to, s.start + s.clip.length);
      for (let x = a; x < b; x++)
        out[x - from] = Math.max(
          -32768,
          Math.min(32767, out[x - from]! + s.clip[x - s.start]! * s.gain),
        );
    }
    // A little line noise so that silence is not digital zero.
    for (let i = 0; i < FRAME; i++) {
      this.#noise = (Math.imul(this.#noise, 1103515245) + 12345) & 0x7fffffff;
      out[i] = out[i]! + (this.#noise % 7) - 3;
    }
    return out;
  }
}
