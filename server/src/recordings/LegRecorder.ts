import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { linearToUlaw } from '@earshot/shared';
import { SAMPLE_RATE } from './wav.ts';

/** A record in a leg log: [u32 LE position in samples][u16 LE length][G.711 bytes]. */
export const RECORD_HEADER_BYTES = 6;

// NOTE: when a leg's timestamps disagree with its arrival times by more than this, the
// stream jumped (or paused without its clock running): place it by arrival again.
const JUMP_SAMPLES = SAMPLE_RATE; // 1 s
const ULAW = Uint8Array.from({ length: 65536 }, (_, i) => linearToUlaw(i - 32768));

/**
 * Writes one leg of a call, as it runs, into an append-only log of G.711 chunks, each at
 * its place on the call clock (samples since the call started). A leg's first packet is
 * placed by its arrival time, later ones by their RTP timestamps; a new SSRC or a jump
 * places the stream by arrival again. Gaps stay silent. Writes are batched and flushed at
 * least every `flushMs`, so a crash loses at most that much.
 */
export class LegRecorder {
  readonly file: string;
  readonly #startedAt: number;
  readonly #samplesPerTick: number;
  #handle: Promise<FileHandle>;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #writing: Promise<void> = Promise.resolve();
  #ssrc: number | undefined;
  #tsBase = 0;
  #posBase = 0;
  #end = 0;
  #closed = false;

  constructor(file: string, startedAt: number, clockRate: number) {
    this.file = file;
    this.#startedAt = startedAt;
    this.#samplesPerTick = SAMPLE_RATE / clockRate;
    this.#handle = open(file, 'a');
  }

  /** Where the leg's audio ends, in samples of call time. */
  get end(): number {
    return this.#end;
  }

  #place(ssrc: number, timestamp: number, arrivedAt: number): number {
    const byClock = Math.max(0, Math.round(((arrivedAt - this.#startedAt) * SAMPLE_RATE) / 1000));
    if (ssrc !== this.#ssrc) {
      this.#ssrc = ssrc;
      this.#tsBase = timestamp;
      this.#posBase = byClock;
      return byClock;
    }
    let delta = (timestamp - this.#tsBase) >>> 0;
    if (delta >= 0x80000000) delta -= 0x100000000;
    const byTimestamp = this.#posBase + Math.round(delta * this.#samplesPerTick);
    if (Math.abs(byTimestamp - byClock) > JUMP_SAMPLES) {
      this.#tsBase = timestamp;
      this.#posBase = byClock;
      return byClock;
    }
    return byTimestamp;
  }

  /** Records a G.711 payload. */
  addG711(ssrc: number, timestamp: number, arrivedAt: number, payload: Uint8Array): void {
    if (this.#closed || payload.length === 0) return;
    this.#append(this.#place(ssrc, timestamp, arrivedAt), payload);
  }

  /** Records decoded 48 kHz audio (an Opus leg) as 8 kHz µ-law. */
  addPcm48k(ssrc: number, timestamp: number, arrivedAt: number, pcm: Int16Array): void {
    if (this.#closed || pcm.length < 6) return;
    const out = new Uint8Array(Math.floor(pcm.length / 6));
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let j = 0; j < 6; j++) sum += pcm[i * 6 + j]!;
      out[i] = ULAW[Math.round(sum / 6) + 32768]!;
    }
    this.#append(this.#place(ssrc, timestamp, arrivedAt), out);
  }

  #append(position: number, bytes: Uint8Array): void {
    if (position < 0 || bytes.length > 0xffff) return;
    const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bytes.length);
    record.writeUInt32LE(position, 0);
    record.writeUInt16LE(bytes.length, 4);
    record.set(bytes, RECORD_HEADER_BYTES);
    this.#pending.push(record);
    this.#pendingBytes += record.length;
    this.#end = Math.max(this.#end, position + bytes.length);
  }

  /** Writes what is pending; resolves when it is on disk (in order with earlier flushes). */
  flush(): Promise<void> {
    if (this.#pendingBytes === 0) return this.#writing;
    const chunk = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writing = this.#writing.then(async () => {
      const handle = await this.#handle;
      await handle.write(chunk);
    });
    return this.#writing;
  }

  /** Flushes and closes the log. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return this.#writing;
    this.#closed = true;
    await this.flush();
    await (await this.#handle).close();
  }
}
