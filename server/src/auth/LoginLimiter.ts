/**
 * Counts failed sign-ins per address and per address+username in a sliding window: past
 * the limit, further attempts are refused until the oldest failure leaves the window.
 */
export class LoginLimiter {
  readonly #windowMs: number;
  readonly #perUser: number;
  readonly #perAddress: number;
  readonly #failures = new Map<string, number[]>();

  constructor(options: { windowMs: number; perUser: number; perAddress: number }) {
    this.#windowMs = options.windowMs;
    this.#perUser = options.perUser;
    this.#perAddress = options.perAddress;
  }

  #recent(key: string, now: number): number[] {
    const times = (this.#failures.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (times.length) this.#failures.set(key, times);
    else this.#failures.delete(key);
    return times;
  }

  /** Milliseconds until another attempt is allowed, or 0 when it is allowed now. */
  retryAfterMs(address: string, username: string, now = Date.now()): number {
    const wait = (key: string, limit: number) => {
      const times = this.#recent(key, now);
      return times.length >= limit ? times[times.length - limit]! + this.#windowMs - now : 0;
    };
    return Math.max(
      wait(`a|${address}`, this.#perAddress),
      wait(`u|${address}|${username}`, this.#perUser),
    );
  }

  fail(address: string, username: string, now = Date.now()): void {
    for (const key of [`a|${address}`, `u|${address}|${username}`]) {
      const times = this.#recent(key, now);
      times.push(now);
      this.#failures.set(key, times);
    }
    // NOTE: bounded memory under a flood of made-up usernames: forget the oldest keys.
    if (this.#failures.size > 100_000) {
      for (const key of [...this.#failures.keys()].slice(0, 10_000)) this.#failures.delete(key);
    }
  }

  succeed(address: string, username: string): void {
    this.#failures.delete(`u|${address}|${username}`);
  }
}
