import type { MediaLog } from '../../log/logger.ts';
import type { SchedIdle } from '../udp.ts';

/**
 * `EARSHOT_MEDIA_PRIORITY`: `idle`, the media threads run under SCHED_IDLE and the console's
 * thread takes the core from them the moment it wakes; `low`, nice 10 only.
 */
export type MediaPriorityChoice = 'idle' | 'low';

// NOTE: a thread starved under SCHED_IDLE (another program's load on every core) finds its
// oldest datagram this old when it runs again: it leaves SCHED_IDLE, where the kernel lets
// it, until it has kept up this long. Its sockets hold tens of seconds of each leg.
export const STARVED_MS = 1000;
export const KEPT_UP_MS = 10_000;
/** Waiting this little is keeping up. */
const CURRENT_MS = 50;
const WARN_EVERY_MS = 60_000;
const EPERM = 1;

/**
 * How a media thread yields its core: under SCHED_IDLE while it keeps up with its legs (a
 * waking console thread runs at once, where nice alone let the media thread finish its
 * slice first), back under nice 10 for a while when it finds itself starved.
 */
export class MediaPriority {
  readonly #schedIdle: SchedIdle | undefined;
  readonly #log: MediaLog;
  #idle = false;
  /** While raised: when the thread was last behind. */
  #behindAt = 0;
  #raised = false;
  #warnedAt = -Infinity;

  /** `schedIdle` is the native call (none without udpmux: nice 10 only). */
  constructor(choice: MediaPriorityChoice, schedIdle: SchedIdle | undefined, log: MediaLog) {
    this.#schedIdle = choice === 'idle' ? schedIdle : undefined;
    this.#log = log;
    if (this.#schedIdle) {
      const error = this.#schedIdle(true);
      if (error === 0) this.#idle = true;
      else this.#log.warn({ errno: error }, 'media thread could not take SCHED_IDLE: nice 10 only');
    }
  }

  /** Whether the thread runs under SCHED_IDLE now. */
  get idle(): boolean {
    return this.#idle;
  }

  /** Once a batch: how long its oldest datagram waited in its socket (ms). */
  observe(waitedMs: number, now: number): void {
    if (this.#raised) {
      if (waitedMs > CURRENT_MS) this.#behindAt = now;
      else if (now - this.#behindAt >= KEPT_UP_MS) this.#lower(now);
      return;
    }
    if (!this.#idle || waitedMs < STARVED_MS) return;
    const error = this.#schedIdle!(false);
    if (error === 0) {
      this.#idle = false;
      this.#raised = true;
      this.#behindAt = now;
      this.#log.warn(
        { waitedMs: Math.round(waitedMs) },
        'media thread starved under SCHED_IDLE: at nice 10 until it keeps up',
      );
    } else if (now - this.#warnedAt >= WARN_EVERY_MS) {
      this.#warnedAt = now;
      this.#log.warn(
        { waitedMs: Math.round(waitedMs), errno: error },
        error === EPERM
          ? 'media thread starved under SCHED_IDLE and not allowed to leave it (needs CAP_SYS_NICE or RLIMIT_NICE >= 10); EARSHOT_MEDIA_PRIORITY=low keeps it at nice 10'
          : 'media thread starved under SCHED_IDLE and could not leave it',
      );
    }
  }

  #lower(now: number): void {
    this.#raised = false;
    const error = this.#schedIdle!(true);
    this.#idle = error === 0;
    this.#log.info({ keptUpMs: now - this.#behindAt }, 'media thread kept up: SCHED_IDLE again');
  }
}
