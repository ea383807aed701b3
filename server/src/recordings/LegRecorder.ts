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
/** Audio a leg keeps in memory while its log cannot be written (about 4 minutes of G.711). */
export const MAX_PENDING_BYTES = 2 * 1024 * 1024;
const RETRY_MIN_MS = 250;
/** A chunk of records: about a second of a G.711 leg (a flush takes half a second's). */
const CHUNK_BYTES = 8 * 1024;
// NOTE: chunks are filled again once written, not allocated anew: a new chunk a leg a flush
// is 26 MB/s of ArrayBuffers at 800 calls, which V8 counts against the old generation's
// limit until a full GC, so the media thread ran about two mark-compacts a second freeing
// nothing. A leg keeps at most this many written chunks for the next flushes.
const SPARE_CHUNKS = 2;
const RETRY_MAX_MS = 10_000;

/** What a leg's storage is going through: bytes waiting, bytes it had to drop, errors. */
export interface LegStorage {
  pendingBytes: number;
  droppedBytes: number;
  writeErrors: number;
  /** Since when writes fail (ms since the epoch), or null while they succeed. */
  failingSince: number | null;
  lastError: string | null;
}

export class LegRecorder {
  readonly file: string;
  readonly #startedAt: number;
  readonly #samplesPerTick: number;
  #handle: FileHandle | undefined;
  /** Bytes of the log known to be on disk: a failed write is cut back to this. */
  #size = -1;
  /** Records not yet written: sealed chunks (each with the bytes of it in use). */
  #pending: { chunk: Buffer; used: number }[] = [];
  #pendingBytes = 0;
  /** The chunk being filled (its records count as pending already). */
  #chunk: Buffer | undefined;
  #chunkUsed = 0;
  /** Chunks written and free to fill again. */
  readonly #spare: Buffer[] = [];
  #writing: Promise<void> | undefined;
  #retryAt = 0;
  #retryMs = RETRY_MIN_MS;
  readonly #storage: Omit<LegStorage, 'pendingBytes'> = {
    droppedBytes: 0,
    writeErrors: 0,
    failingSince: null,
    lastError: null,
  };
  #ssrc: number | undefined;
  #tsBase = 0;
  #posBase = 0;
  #end = 0;
  #closed = false;

  constructor(file: string, startedAt: number, clockRate: number) {
    this.file = file;
    this.#startedAt = startedAt;
    this.#samplesPerTick = SAMPLE_RATE / clockRate;
  }

  /** The leg's storage state now. */
  get storage(): LegStorage {
    return { ...this.#storage, pendingBytes: this.#pendingBytes };
  }

  /** Whether everything recorded is on disk. */
  get settled(): boolean {
    return this.#pendingBytes === 0 && this.#writing === undefined;
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

  /** Records a G.711 payload at a place its adapter knows (samples of call time). */
  addG711At(position: number, payload: Uint8Array): void {
    if (this.#closed || payload.length === 0) return;
    this.#append(position, payload);
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
    if (this.#pendingBytes + RECORD_HEADER_BYTES + bytes.length > MAX_PENDING_BYTES) {
      // NOTE: the disk has been failing for minutes: newer audio is counted and let go,
      // so that what waits can still be written when the disk comes back.
      this.#storage.droppedBytes += bytes.length;
      return;
    }
    const size = RECORD_HEADER_BYTES + bytes.length;
    // NOTE: records go into a chunk of a few kilobytes (a second of a leg), not a buffer
    // each, and the chunks are used again once on disk.
    if (!this.#chunk || this.#chunkUsed + size > this.#chunk.length) {
      this.#seal();
      this.#chunk =
        (size <= CHUNK_BYTES ? this.#spare.pop() : undefined) ??
        Buffer.allocUnsafe(Math.max(CHUNK_BYTES, size));
    }
    const chunk = this.#chunk;
    const at = this.#chunkUsed;
    chunk[at] = position & 0xff;
    chunk[at + 1] = (position >>> 8) & 0xff;
    chunk[at + 2] = (position >>> 16) & 0xff;
    chunk[at + 3] = position >>> 24;
    chunk[at + 4] = bytes.length & 0xff;
    chunk[at + 5] = bytes.length >>> 8;
    chunk.set(bytes, at + RECORD_HEADER_BYTES);
    this.#chunkUsed += size;
    this.#pendingBytes += size;
    this.#end = Math.max(this.#end, position + bytes.length);
  }

  /** Ends the chunk being filled: what it holds joins the sealed chunks. */
  #seal(): void {
    if (this.#chunk && this.#chunkUsed > 0)
      this.#pending.push({ chunk: this.#chunk, used: this.#chunkUsed });
    else if (this.#chunk) this.#recycle(this.#chunk);
    this.#chunk = undefined;
    this.#chunkUsed = 0;
  }

  /**
   * Writes what is pending. A failed write is cut back off the file and retried later
   * (back-off from 250 ms to 10 s) with the audio kept in memory meanwhile; never throws.
   * Resolves once this attempt is over (written, or failed and kept for the next one).
   */
  flush(now = Date.now()): Promise<void> {
    if (this.#writing) return this.#writing;
    if (this.#pendingBytes === 0 || now < this.#retryAt) return Promise.resolve();
    this.#seal();
    // What is sealed now goes in one write; what is appended meanwhile waits for the next.
    this.#writing = this.#write(this.#pending.length).finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  #recycle(chunk: Buffer): void {
    if (chunk.length === CHUNK_BYTES && this.#spare.length < SPARE_CHUNKS) this.#spare.push(chunk);
  }

  /** Writes the first `count` sealed chunks, in one system call (no copy into one buffer). */
  async #write(count: number): Promise<void> {
    const batch = this.#pending.slice(0, count);
    const bytes = batch.reduce((n, p) => n + p.used, 0);
    try {
      if (!this.#handle) {
        this.#handle = await open(this.file, 'a');
        if (this.#size < 0) this.#size = (await this.#handle.stat()).size;
        else await this.#handle.truncate(this.#size);
      }
      // The file is opened to append: each write lands at its end.
      const { bytesWritten } = await this.#handle.writev(
        batch.map((p) => p.chunk.subarray(0, p.used)),
      );
      if (bytesWritten !== bytes) throw new Error(`short write (${bytesWritten} of ${bytes})`);
      this.#size += bytes;
      this.#pending.splice(0, count);
      this.#pendingBytes -= bytes;
      for (const p of batch) this.#recycle(p.chunk);
      this.#storage.failingSince = null;
      this.#retryMs = RETRY_MIN_MS;
      this.#retryAt = 0;
    } catch (error) {
      this.#storage.writeErrors += 1;
      this.#storage.failingSince ??= Date.now();
      this.#storage.lastError = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.#retryAt = Date.now() + this.#retryMs;
      this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
      // The next attempt reopens the file and cuts off whatever this one half-wrote.
      const handle = this.#handle;
      this.#handle = undefined;
      await handle?.close().catch(() => undefined);
    }
  }

  /**
   * Stops taking audio and writes what is pending, retrying until it is on disk or
   * `deadline` passes; the file is closed either way. Resolves whether everything landed.
   */
  async close(deadline = 0): Promise<boolean> {
    this.#closed = true;
    for (;;) {
      await this.flush();
      if (this.settled || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(50, this.#retryAt - Date.now())));
    }
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
    return this.settled;
  }
}
