import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LEGS, type Codec, type LegName } from '@earshot/shared';
import type { Logger } from '../log/logger.ts';
import { RECORD_HEADER_BYTES, type LegStorage } from './LegRecorder.ts';
import { SAMPLE_RATE, SILENCE, WAV_HEADER_BYTES, wavHeader, type G711Law } from './wav.ts';

interface Meta {
  callId: string;
  law: G711Law;
  startedAt: string;
}

export interface RecordingInfo {
  law: G711Law;
  /** Length of the recording in milliseconds of call time. */
  durationMs: number;
  /** True once the stereo WAV is written (the call is over). */
  finalized: boolean;
}

/** A call being recorded (by the media thread that receives it: see CallRecording). */
export interface LiveRecording {
  /** Writes what waits. */
  flush(): Promise<void>;
  storage(): LegStorage;
  /** Stops taking audio and writes what waits until `deadline`; whether all of it landed. */
  close(deadline?: number): Promise<boolean>;
  /** Where the audio ends, in samples of call time. */
  readonly end: number;
}

/** An ended call's recording that is not finished yet. */
interface Unfinished {
  /** Its audio while some of it is not yet on disk. */
  recording: LiveRecording | undefined;
  durationMs: number;
  retryMs: number;
  timer?: NodeJS.Timeout;
  error: string;
  /** The attempt running now: readers wait for it rather than read half a recording. */
  attempt?: Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Places a leg log's chunks into channel `channel` of an interleaved stereo buffer. */
function overlay(log: Buffer, out: Buffer, channel: number): void {
  const frames = out.length / 2;
  for (let o = 0; o + RECORD_HEADER_BYTES <= log.length;) {
    const position = log.readUInt32LE(o);
    const length = log.readUInt16LE(o + 4);
    const start = o + RECORD_HEADER_BYTES;
    if (start + length > log.length) break; // a record cut short by a crash
    for (let i = 0; i < length && position + i < frames; i++)
      out[2 * (position + i) + channel] = log[start + i]!;
    o = start + length;
  }
}

/** Where a leg log's audio ends, in samples. */
function logEnd(log: Buffer): number {
  let end = 0;
  for (let o = 0; o + RECORD_HEADER_BYTES <= log.length;) {
    const length = log.readUInt16LE(o + 4);
    if (o + RECORD_HEADER_BYTES + length > log.length) break;
    end = Math.max(end, log.readUInt32LE(o) + length);
    o += RECORD_HEADER_BYTES + length;
  }
  return end;
}

/**
 * Recordings on disk, one folder per call: while the call runs, an append-only log per
 * leg (G.711 as it arrived); when it ends, one stereo G.711 WAV (agent left, customer
 * right) on the call clock, and the logs are removed. Nothing is transcoded on the hot
 * path for G.711 calls.
 */
export class RecordingStore {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #live = new Map<string, LiveRecording>();
  /** Ended calls whose audio or WAV could not be written yet: retried with back-off. */
  readonly #unfinished = new Map<string, Unfinished>();
  /** Storage figures of recordings that are over (the live ones are read as they are). */
  readonly #done = { writeErrors: 0, droppedBytes: 0, finishErrors: 0 };
  #closed = false;

  constructor(dir: string, log: Logger) {
    this.#dir = dir;
    this.#log = log;
  }

  #folder(callId: string): string {
    if (!UUID.test(callId)) throw new Error(`not a call id: ${callId}`);
    return join(this.#dir, callId);
  }

  #logFile(callId: string, leg: LegName): string {
    return join(this.#folder(callId), `${leg}.log`);
  }

  wavFile(callId: string): string {
    return join(this.#folder(callId), 'recording.wav');
  }

  /** Starts recording a call: `open` starts writing its legs into the files it is given. */
  async start(
    callId: string,
    codec: Codec,
    startedAt: Date,
    open: (files: Record<LegName, string>) => Promise<LiveRecording>,
  ): Promise<LiveRecording> {
    const folder = this.#folder(callId);
    await mkdir(folder, { recursive: true });
    const meta: Meta = {
      callId,
      law: codec === 'PCMA' ? 'alaw' : 'mulaw',
      startedAt: startedAt.toISOString(),
    };
    await writeFile(join(folder, 'meta.json'), JSON.stringify(meta));
    const recording = await open({
      agent: this.#logFile(callId, 'agent'),
      customer: this.#logFile(callId, 'customer'),
    });
    this.#live.set(callId, recording);
    return recording;
  }

  async #meta(callId: string): Promise<Meta | undefined> {
    try {
      return JSON.parse(await readFile(join(this.#folder(callId), 'meta.json'), 'utf8')) as Meta;
    } catch {
      return undefined;
    }
  }

  async #logs(callId: string): Promise<Buffer[]> {
    return Promise.all(
      LEGS.map((leg) => readFile(this.#logFile(callId, leg)).catch(() => Buffer.alloc(0))),
    );
  }

  /** Renders the stereo WAV from the leg logs, at least `minMs` long. */
  async #render(callId: string, meta: Meta, minMs = 0): Promise<Buffer> {
    const logs = await this.#logs(callId);
    const frames = Math.max(Math.ceil((minMs * SAMPLE_RATE) / 1000), ...logs.map(logEnd));
    const body = Buffer.alloc(frames * 2, SILENCE[meta.law]);
    logs.forEach((log, channel) => overlay(log, body, channel));
    return Buffer.concat([wavHeader(meta.law, 2, frames), body]);
  }

  /**
   * Ends a call's recording: writes what waits, then the stereo WAV (at least `durationMs`
   * long), and removes the logs. When storage fails, it resolves all the same and keeps
   * trying in the background (back-off up to 30 s), so that the WAV appears once the disk
   * recovers; until then the recording is served from what its logs hold.
   */
  async finalize(callId: string, durationMs = 0): Promise<void> {
    const live = this.#live.get(callId);
    this.#live.delete(callId);
    const entry = this.#unfinished.get(callId) ?? {
      recording: live,
      durationMs,
      retryMs: 1000,
      error: '',
    };
    this.#unfinished.set(callId, entry);
    await this.#attempt(callId);
  }

  #attempt(callId: string): Promise<void> {
    const entry = this.#unfinished.get(callId);
    if (!entry) return Promise.resolve();
    entry.attempt ??= this.#try(callId, entry).finally(() => {
      entry.attempt = undefined;
    });
    return entry.attempt;
  }

  async #try(callId: string, entry: Unfinished): Promise<void> {
    clearTimeout(entry.timer);
    try {
      if (entry.recording && !(await entry.recording.close()))
        throw new Error(entry.recording.storage().lastError ?? 'audio not yet written');
      if (entry.recording) {
        const s = entry.recording.storage();
        this.#done.writeErrors += s.writeErrors;
        this.#done.droppedBytes += s.droppedBytes;
        entry.recording = undefined;
      }
      await this.#finish(callId, entry.durationMs);
      this.#unfinished.delete(callId);
    } catch (error) {
      entry.error = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.#done.finishErrors += 1;
      if (this.#closed) return;
      this.#log.warn(
        { callId, err: entry.error, retryMs: entry.retryMs },
        'recording not finished yet; will retry',
      );
      entry.timer = setTimeout(() => void this.#attempt(callId), entry.retryMs);
      entry.timer.unref();
      entry.retryMs = Math.min(30_000, entry.retryMs * 2);
    }
  }

  /** Renders the WAV from the logs and removes them (nothing when there was no audio). */
  async #finish(callId: string, durationMs: number): Promise<void> {
    const meta = await this.#meta(callId);
    if (!meta) return;
    const logs = LEGS.map((leg) => this.#logFile(callId, leg));
    // A finished recording has its WAV and no logs: nothing to do again.
    if (!logs.some((f) => existsSync(f)) && existsSync(this.wavFile(callId))) return;
    const sizes = await Promise.all(
      logs.map((f) =>
        stat(f).then(
          (x) => x.size,
          () => 0,
        ),
      ),
    );
    if (sizes.every((size) => size === 0)) {
      // NOTE: a call that never received a packet has no recording: no disk for silence.
      await rm(this.#folder(callId), { recursive: true, force: true });
      return;
    }
    const wav = await this.#render(callId, meta, durationMs);
    const target = this.wavFile(callId);
    await writeFile(`${target}.tmp`, wav);
    await rename(`${target}.tmp`, target);
    await Promise.all(logs.map((f) => rm(f, { force: true })));
  }

  /** What storage is going through now: for /healthz, metrics and the admins' console. */
  health(): {
    ok: boolean;
    reasons: string[];
    pendingBytes: number;
    droppedBytes: number;
    writeErrors: number;
    unfinished: number;
  } {
    let pendingBytes = 0;
    let droppedBytes = this.#done.droppedBytes;
    let writeErrors = this.#done.writeErrors;
    let failing = 0;
    const recordings = [
      ...this.#live.values(),
      ...[...this.#unfinished.values()]
        .map((u) => u.recording)
        .filter((r): r is LiveRecording => !!r),
    ];
    for (const r of recordings) {
      const s = r.storage();
      pendingBytes += s.pendingBytes;
      droppedBytes += s.droppedBytes;
      writeErrors += s.writeErrors;
      if (s.failingSince !== null) failing++;
    }
    const reasons = [];
    if (failing)
      reasons.push(
        `recording writes failing for ${failing} call(s); ${pendingBytes} bytes waiting in memory`,
      );
    if (this.#unfinished.size)
      reasons.push(
        `${this.#unfinished.size} recording(s) not finished yet (${[...this.#unfinished.values()][0]!.error || 'writing'})`,
      );
    return {
      ok: reasons.length === 0,
      reasons,
      pendingBytes,
      droppedBytes,
      writeErrors: writeErrors + this.#done.finishErrors,
      unfinished: this.#unfinished.size,
    };
  }

  /** Finishes every recording left unfinished by a previous run. Returns their ids. */
  async recover(): Promise<string[]> {
    const entries = await readdir(this.#dir).catch(() => [] as string[]);
    const recovered: string[] = [];
    for (const callId of entries) {
      if (!UUID.test(callId) || this.#live.has(callId)) continue;
      const hasLogs = LEGS.some((leg) => existsSync(this.#logFile(callId, leg)));
      if (!hasLogs && existsSync(this.wavFile(callId))) continue;
      await this.finalize(callId);
      recovered.push(callId);
    }
    if (recovered.length)
      this.#log.warn(
        { recordings: recovered.length },
        'finished recordings left by the previous run',
      );
    return recovered;
  }

  /** What there is of a call's recording, or undefined. */
  async info(callId: string): Promise<RecordingInfo | undefined> {
    await this.#unfinished.get(callId)?.attempt;
    const meta = await this.#meta(callId);
    if (!meta) return undefined;
    const live = this.#live.get(callId);
    if (live) {
      const end = live.end;
      return { law: meta.law, durationMs: (end * 1000) / SAMPLE_RATE, finalized: false };
    }
    const size = await stat(this.wavFile(callId)).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) {
      // Not finished yet (storage trouble): what the logs hold is the recording so far.
      const logs = await this.#logs(callId);
      const end = Math.max(0, ...logs.map(logEnd));
      if (end === 0) return undefined;
      return { law: meta.law, durationMs: (end * 1000) / SAMPLE_RATE, finalized: false };
    }
    return {
      law: meta.law,
      durationMs: ((size - WAV_HEADER_BYTES) / 2 / SAMPLE_RATE) * 1000,
      finalized: true,
    };
  }

  /** The whole recording as WAV bytes (rendered from the logs while the call runs). */
  async read(callId: string): Promise<Buffer | undefined> {
    const meta = await this.#meta(callId);
    if (!meta) return undefined;
    const live = this.#live.get(callId);
    if (live) {
      await live.flush();
      return this.#render(callId, meta);
    }
    await this.#unfinished.get(callId)?.attempt;
    const wav = await readFile(this.wavFile(callId)).catch(() => undefined);
    if (wav) return wav;
    return (await this.info(callId)) ? this.#render(callId, meta) : undefined;
  }

  /** A segment [fromMs, toMs) as its own WAV. */
  async segment(callId: string, fromMs: number, toMs: number): Promise<Buffer | undefined> {
    const whole = await this.read(callId);
    const meta = await this.#meta(callId);
    if (!whole || !meta) return undefined;
    const frames = (whole.length - WAV_HEADER_BYTES) / 2;
    const from = Math.min(frames, Math.floor((fromMs * SAMPLE_RATE) / 1000));
    const to = Math.min(frames, Math.ceil((toMs * SAMPLE_RATE) / 1000));
    const body = whole.subarray(WAV_HEADER_BYTES + from * 2, WAV_HEADER_BYTES + to * 2);
    return Buffer.concat([wavHeader(meta.law, 2, to - from), body]);
  }

  /** Deletes finished recordings whose WAV is older than `days` days. Returns how many. */
  async deleteOlderThan(days: number, now = Date.now()): Promise<number> {
    const entries = await readdir(this.#dir).catch(() => [] as string[]);
    let deleted = 0;
    for (const callId of entries) {
      if (!UUID.test(callId) || this.#live.has(callId)) continue;
      const modified = await stat(this.wavFile(callId)).then(
        (s) => s.mtimeMs,
        () => undefined,
      );
      if (modified === undefined || now - modified < days * 86_400_000) continue;
      await rm(this.#folder(callId), { recursive: true, force: true });
      deleted++;
    }
    return deleted;
  }

  /** Stops every live recording (flushing it) without finishing it; stops the retries. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const u of this.#unfinished.values()) clearTimeout(u.timer);
    await Promise.all([...this.#live.values()].map((r) => r.close()));
    await Promise.all([...this.#unfinished.values()].map((u) => u.recording?.close()));
  }
}
