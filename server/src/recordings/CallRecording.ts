import { LEGS, type Codec, type LegName } from '@earshot/shared';
import { CLOCK_RATE } from '../media/codecs.ts';
import type { Logger } from '../log/logger.ts';
import { LegRecorder } from './LegRecorder.ts';

const FLUSH_MS = 500;

/** A call being recorded: a leg log per leg, flushed twice a second. */
export class CallRecording {
  readonly callId: string;
  readonly legs = new Map<LegName, LegRecorder>();
  readonly #timer: NodeJS.Timeout;
  readonly #log: Logger;
  #closing: Promise<void> | undefined;

  constructor(options: {
    callId: string;
    codec: Codec;
    startedAt: number;
    logFile: (leg: LegName) => string;
    logger: Logger;
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

  /** Writes what is pending on every leg. */
  async flush(): Promise<void> {
    try {
      await Promise.all([...this.legs.values()].map((l) => l.flush()));
    } catch (error) {
      this.#log.error({ err: error, callId: this.callId }, 'could not write the recording');
    }
  }

  /** Stops recording: flushes and closes both logs. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      try {
        await Promise.all([...this.legs.values()].map((l) => l.close()));
      } catch (error) {
        this.#log.error({ err: error, callId: this.callId }, 'could not close the recording');
      }
    })();
    return this.#closing;
  }
}
