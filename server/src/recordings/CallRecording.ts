import { LEGS, type Codec, type LegName } from '@earshot/shared';
import { CLOCK_RATE } from '../media/codecs.ts';
import type { MediaLog } from '../log/logger.ts';
import { LegRecorder, type LegStorage } from './LegRecorder.ts';

const FLUSH_MS = 500;

/** A call being recorded: a leg log per leg, flushed twice a second (in a media thread). */
export class CallRecording {
  readonly callId: string;
  readonly legs = new Map<LegName, LegRecorder>();
  readonly #timer: NodeJS.Timeout;
  readonly #log: MediaLog;
  #warnedAt = 0;

  constructor(options: {
    callId: string;
    codec: Codec;
    startedAt: number;
    logFile: (leg: LegName) => string;
    logger: MediaLog;
  }) {
    this.callId = options.callId;
    this.#log = options.logger;
    for (const leg of LEGS) {
      this.legs.set(
        leg,
        new LegRecorder(options.logFile(leg), options.startedAt, CLOCK_RATE[options.codec]),
      );
    }
    this.#timer = setInterval(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what is pending on every leg (each leg retries on its own back-off). */
  async flush(): Promise<void> {
    await Promise.all([...this.legs.values()].map((l) => l.flush()));
    const failing = this.storage().failingSince;
    // NOTE: one warning every 10 s per call while its disk fails, not one per flush.
    if (failing !== null && Date.now() - this.#warnedAt > 10_000) {
      this.#warnedAt = Date.now();
      this.#log.error(
        { callId: this.callId, ...this.storage() },
        'recording writes fail; the audio waits in memory and is retried',
      );
    }
  }

  /** Where the audio ends, in samples of call time (the longer leg). */
  get end(): number {
    return Math.max(0, ...[...this.legs.values()].map((l) => l.end));
  }

  /** The legs' storage together. */
  storage(): LegStorage {
    const all = [...this.legs.values()].map((l) => l.storage);
    const since = all.map((s) => s.failingSince).filter((x): x is number => x !== null);
    return {
      pendingBytes: all.reduce((n, s) => n + s.pendingBytes, 0),
      droppedBytes: all.reduce((n, s) => n + s.droppedBytes, 0),
      writeErrors: all.reduce((n, s) => n + s.writeErrors, 0),
      failingSince: since.length ? Math.min(...since) : null,
      lastError:
        all.find((s) => s.lastError !== null && s.failingSince !== null)?.lastError ?? null,
    };
  }

  /**
   * Stops recording and writes what waits, retrying until `deadline`; the files are closed
   * either way. Resolves whether every byte is on disk (call again to keep trying).
   */
  async close(deadline = Date.now() + 1000): Promise<boolean> {
    clearInterval(this.#timer);
    const settled = await Promise.all([...this.legs.values()].map((l) => l.close(deadline)));
    return settled.every(Boolean);
  }
}
