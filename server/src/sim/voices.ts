import { spawnSync } from 'node:child_process';
import type { Random } from './random.ts';

/** 8 kHz mono 16-bit audio. */
export type Clip = Int16Array;
export const SAMPLE_RATE = 8000;

export type Speaker = 'agent' | 'customer';

/** Scripted lines per topic: what an agent and a customer say to each other. */
export const SCRIPT = {
  agent: {
    greeting: [
      'Thank you for calling, this is your care team, how can I help you today?',
      'Hi there, thanks for holding. What can I do for you?',
    ],
    billing: [
      'I can see the charge on your statement, let me walk you through it.',
      'That fee comes from the international add-on. I can remove it for you.',
      'I have applied a credit of fifteen dollars to your next bill.',
    ],
    troubleshooting: [
      'Could you restart the phone and tell me what you see?',
      'I am running a line test right now, it will take a moment.',
      'The tower near you had an outage this morning, it is fixed now.',
    ],
    escalation: [
      'I understand, let me bring in my supervisor on this.',
      'I am sorry about the trouble, I will make sure this gets resolved today.',
    ],
    closing: [
      'Is there anything else I can help you with?',
      'Thank you for your patience, have a great day.',
    ],
    backchannel: ['Mm hmm.', 'Right.', 'Okay.', 'I see.'],
  },
  customer: {
    greeting: [
      'Hi, I have a question about my bill.',
      'Hello, my phone keeps dropping calls.',
      'Yes hi, I have been trying to sort this out for a week.',
    ],
    billing: [
      'Why is my bill forty dollars higher this month?',
      'I never signed up for that roaming package.',
      'Okay, so the credit shows up next month?',
    ],
    troubleshooting: [
      'I restarted it twice already and it still says no service.',
      'It only happens when I am at home.',
      'Now I have four bars, that looks better.',
    ],
    escalation: [
      'This is the third time I am calling about this.',
      'I would like to speak to someone who can actually fix it.',
    ],
    closing: ['No, that is everything, thanks.', 'Great, thank you so much for your help.'],
    backchannel: ['Yeah.', 'Uh huh.', 'Okay.', 'Right.'],
  },
} as const;

export type Topic = Exclude<keyof (typeof SCRIPT)['agent'], 'backchannel'>;

const ESPEAK_VOICE: Record<Speaker, string[]> = {
  agent: ['-v', 'en-us+m3', '-s', '165', '-p', '45'],
  customer: ['-v', 'en-us+f4', '-s', '175', '-p', '65'],
};

function parseWav(buffer: Buffer): { rate: number; samples: Int16Array } | undefined {
  if (buffer.length < 44 || buffer.toString('ascii', 0, 4) !== 'RIFF') return undefined;
  let offset = 12;
  let rate = 0;
  while (offset + 8 <= buffer.length) {
    const id = buffer.toString('ascii', offset, offset + 4);
    let size = buffer.readUInt32LE(offset + 4);
    if (id === 'fmt ') rate = buffer.readUInt32LE(offset + 12);
    if (id === 'data') {
      // espeak-ng writing to a pipe cannot seek back to fill in the size.
      if (size === 0 || size === 0xffffffff || offset + 8 + size > buffer.length)
        size = buffer.length - offset - 8;
      const bytes = buffer.subarray(offset + 8, offset + 8 + (size & ~1));
      const samples = new Int16Array(bytes.length / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
      return rate ? { rate, samples } : undefined;
    }
    offset += 8 + size + (size & 1);
  }
  return undefined;
}

/** Resamples to 8 kHz with a short moving-average low-pass (enough for speech). */
function to8k(samples: Int16Array, rate: number): Clip {
  const ratio = rate / SAMPLE_RATE;
  const out = new Int16Array(Math.floor(samples.length / ratio));
  const span = Math.max(1, Math.round(ratio));
  for (let i = 0; i < out.length; i++) {
    const start = Math.floor(i * ratio);
    let sum = 0;
    let n = 0;
    for (let j = start; j < start + span && j < samples.length; j++, n++) sum += samples[j]!;
    out[i] = n ? Math.round(sum / n) : 0;
  }
  return out;
}

/** Speaks `text` with espeak-ng, or returns undefined where espeak-ng is not installed. */
function espeak(text: string, speaker: Speaker): Clip | undefined {
  const result = spawnSync('espeak-ng', [...ESPEAK_VOICE[speaker], '--stdout', text], {
    maxBuffer: 16 << 20,
    timeout: 10_000,
  });
  if (result.status !== 0 || !result.stdout) return undefined;
  const wav = parseWav(result.stdout);
  return wav ? to8k(wav.samples, wav.rate) : undefined;
}

/**
 * A speech-like stand-in when no synthesiser is present: voiced syllables (a glottal
 * pulse train through two vowel formants) with a syllable envelope and falling pitch.
 */
function synthetic(text: string, speaker: Speaker, random: Random): Clip {
  const syllables = Math.max(2, Math.round(text.split(/\s+/).length * 1.4));
  const basePitch = speaker === 'agent' ? 115 : 205;
  const vowels = [
    [730, 1090],
    [270, 2290],
    [530, 1840],
    [570, 840],
    [300, 870],
  ] as const;
  const parts: number[] = [];
  for (let s = 0; s < syllables; s++) {
    const length = Math.round(SAMPLE_RATE * random.between(0.12, 0.22));
    const [f1, f2] = random.pick(vowels);
    const pitch = basePitch * (1.1 - (0.25 * s) / syllables) * random.between(0.95, 1.05);
    let phase = 0;
    let y1a = 0,
      y1b = 0,
      y2a = 0,
      y2b = 0;
    const res = (f: number) => ({
      c: 2 * Math.exp((-Math.PI * 90) / SAMPLE_RATE) * Math.cos((2 * Math.PI * f) / SAMPLE_RATE),
      r2: Math.exp((-2 * Math.PI * 90) / SAMPLE_RATE),
    });
    const r1 = res(f1);
    const r2 = res(f2);
    for (let i = 0; i < length; i++) {
      phase += pitch / SAMPLE_RATE;
      const pulse = phase >= 1 ? 1 : 0;
      if (phase >= 1) phase -= 1;
      const o1 = pulse + r1.c * y1a - r1.r2 * y1b;
      y1b = y1a;
      y1a = o1;
      const o2 = pulse + r2.c * y2a - r2.r2 * y2b;
      y2b = y2a;
      y2a = o2;
      const envelope = Math.sin((Math.PI * i) / length);
      parts.push((o1 + 0.6 * o2) * envelope * 900);
    }
    const gap = Math.round(SAMPLE_RATE * random.between(0.02, 0.08));
    for (let i = 0; i < gap; i++) parts.push(0);
  }
  return Int16Array.from(parts, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
}

export interface VoiceBank {
  /** 'espeak-ng' or 'synthetic'. */
  engine: 'espeak-ng' | 'synthetic';
  lines: Record<Speaker, Record<keyof (typeof SCRIPT)['agent'], Clip[]>>;
}

/** Renders every scripted line once, in two distinct voices. */
export function renderVoices(random: Random): VoiceBank {
  const probe = espeak('Hello.', 'agent');
  const engine = probe ? 'espeak-ng' : 'synthetic';
  const render = (text: string, speaker: Speaker) =>
    (engine === 'espeak-ng' && espeak(text, speaker)) || synthetic(text, speaker, random);
  const lines = {} as VoiceBank['lines'];
  for (const speaker of ['agent', 'customer'] as const) {
    const topics = SCRIPT[speaker];
    lines[speaker] = Object.fromEntries(
      Object.entries(topics).map(([topic, texts]) => [
        topic,
        texts.map((t: string) => render(t, speaker)),
      ]),
    ) as VoiceBank['lines'][Speaker];
  }
  return { engine, lines };
}

/** Hold music: a slow arpeggio of soft sine chords, `seconds` long. */
export function holdMusic(seconds: number): Clip {
  const notes = [261.63, 329.63, 392.0, 523.25, 392.0, 329.63];
  const out = new Int16Array(Math.round(seconds * SAMPLE_RATE));
  const noteLength = SAMPLE_RATE * 0.4;
  for (let i = 0; i < out.length; i++) {
    const f = notes[Math.floor(i / noteLength) % notes.length]!;
    const t = i / SAMPLE_RATE;
    const env = 0.6 + 0.4 * Math.sin((Math.PI * (i % noteLength)) / noteLength);
    out[i] = Math.round(
      2500 * env * (Math.sin(2 * Math.PI * f * t) + 0.5 * Math.sin(2 * Math.PI * f * 1.5 * t)),
    );
  }
  return out;
}
