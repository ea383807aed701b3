import { ALAW_TO_LINEAR, rmsToLevel, ULAW_TO_LINEAR, type Codec } from '@earshot/shared';
import OpusScript from 'opusscript';

/**
 * Measures how loud a leg is from its decoded audio: G.711 through its decode table, Opus
 * through a real decoder. Samples accumulate until `take()` turns them into a reading.
 */
export class LevelMeter {
  readonly #table: Int16Array | undefined;
  #opus: OpusScript | undefined;
  #sumSquares = 0;
  #samples = 0;

  constructor(codec: Codec) {
    this.#table = codec === 'PCMU' ? ULAW_TO_LINEAR : codec === 'PCMA' ? ALAW_TO_LINEAR : undefined;
    if (codec === 'opus') this.#opus = new OpusScript(48000, 1, OpusScript.Application.VOIP);
  }

  /**
   * Adds one packet's payload. Returns false when it cannot be decoded, the decoded
   * 48 kHz samples for Opus, and true for G.711 (whose bytes are kept as they are).
   */
  add(payload: Uint8Array): Int16Array | boolean {
    const table = this.#table;
    if (table) {
      let sum = 0;
      for (let i = 0; i < payload.length; i++) {
        const s = table[payload[i]!]!;
        sum += s * s;
      }
      this.#sumSquares += sum;
      this.#samples += payload.length;
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
    return samples;
  }

  /** The reading (0..1) for the audio added since the last call; 0 when none arrived. */
  take(): number {
    const level =
      this.#samples === 0 ? 0 : rmsToLevel(Math.sqrt(this.#sumSquares / this.#samples) / 32768);
    this.#sumSquares = 0;
    this.#samples = 0;
    return level;
  }

  close(): void {
    this.#opus?.delete();
    this.#opus = undefined;
  }
}
