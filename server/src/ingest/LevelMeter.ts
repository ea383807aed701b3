import { ALAW_TO_LINEAR, rmsToLevel, ULAW_TO_LINEAR, type Codec } from '@earshot/shared';
import OpusScript from 'opusscript';

/** One reading of a leg. */
export interface LevelReading {
  /** Loudness, 0 (silence) to 1. */
  level: number;
  /**
   * Some packet was 12 dB or more below the loudest of the reading: speech (syllables and
   * pauses) does this in almost every quarter second, hold music almost never.
   */
  dipped: boolean;
}

/** A packet this far (in energy) below the loudest of a reading is a dip: 12 dB. */
const DIP_RATIO = 1 / 16;
/** Packets kept per reading to look for dips (more than a reading holds). */
const MAX_PACKETS = 64;

/** Each G.711 byte's sample, squared: one lookup a sample on the hot path. */
const squares = (table: Int16Array) => Float64Array.from(table, (x) => x * x);
const ULAW_SQUARES = squares(ULAW_TO_LINEAR);
const ALAW_SQUARES = squares(ALAW_TO_LINEAR);

/**
 * Measures how loud a leg is from its decoded audio: G.711 through its decode table, Opus
 * through a real decoder. Samples accumulate until `take()` turns them into a reading.
 */
export class LevelMeter {
  readonly #squares: Float64Array | undefined;
  #opus: OpusScript | undefined;
  #sumSquares = 0;
  #samples = 0;
  /** Mean square of each packet of the reading. */
  readonly #packets = new Float64Array(MAX_PACKETS);
  #packetCount = 0;

  constructor(codec: Codec) {
    this.#squares = codec === 'PCMU' ? ULAW_SQUARES : codec === 'PCMA' ? ALAW_SQUARES : undefined;
    if (codec === 'opus') this.#opus = new OpusScript(48000, 1, OpusScript.Application.VOIP);
  }

  /**
   * Adds one packet's payload. Returns false when it cannot be decoded, the decoded
   * 48 kHz samples for Opus, and true for G.711 (whose bytes are kept as they are).
   */
  add(payload: Uint8Array): Int16Array | boolean {
    const squares = this.#squares;
    if (squares) {
      let sum = 0;
      for (let i = 0; i < payload.length; i++) sum += squares[payload[i]!]!;
      this.#sumSquares += sum;
      this.#samples += payload.length;
      this.#packet(sum, payload.length);
      return true;
    }
    if (!this.#opus || payload.length === 0) return false;
    let pcm: Buffer;
    try {
      pcm = this.#opus.decode(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    } catch {
      return false;
    }
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.byteLength >> 1);
    let sum = 0;
    for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
    this.#sumSquares += sum;
    this.#samples += samples.length;
    this.#packet(sum, samples.length);
    return samples;
  }

  #packet(sumSquares: number, samples: number): void {
    if (samples > 0 && this.#packetCount < MAX_PACKETS)
      this.#packets[this.#packetCount++] = sumSquares / samples;
  }

  /** The reading for the audio added since the last call; level 0 when none arrived. */
  take(): LevelReading {
    const level =
      this.#samples === 0 ? 0 : rmsToLevel(Math.sqrt(this.#sumSquares / this.#samples) / 32768);
    let loudest = 0;
    for (let i = 0; i < this.#packetCount; i++) loudest = Math.max(loudest, this.#packets[i]!);
    let dipped = false;
    for (let i = 0; i < this.#packetCount && !dipped; i++)
      dipped = this.#packets[i]! < loudest * DIP_RATIO;
    this.#sumSquares = 0;
    this.#samples = 0;
    this.#packetCount = 0;
    return { level, dipped };
  }

  close(): void {
    this.#opus?.delete();
    this.#opus = undefined;
  }
}
