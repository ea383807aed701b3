/** A sign-in attempt let through: settle it once its password has been checked. */
export interface LoginAttempt {
  /** The password was right: the user's failures from this address are forgiven. */
  succeeded(): void;
  failed(): void;
  /** The password could not be checked (hashing busy): this attempt does not count. */
  cancelled(): void;
}

interface Entry {
  at: number;
  username: string;
  /** Let through and its password not yet checked. */
  pending: boolean;
}

/**
 * Past the limit only because attempts are still being checked: those may yet succeed,
 * so the wait is a moment, not the window.
 */
const PENDING_RETRY_MS = 1_000;

/** How long until `entries` (oldest first) fall under `limit`, counting settled ones fully. */
function waitUnder(
  entries: { at: number; pending: boolean }[],
  limit: number,
  windowMs: number,
  now: number,
): number {
  if (entries.length < limit) return 0;
  const failed = entries.filter((e) => !e.pending);
  if (failed.length < limit) return PENDING_RETRY_MS;
  return failed[failed.length - limit]!.at + windowMs - now;
}

/**
 * Limits sign-in attempts per address and username in a sliding window. An attempt counts
 * from the moment it is let through, before its password is checked, so that a burst of
 * concurrent attempts cannot slip past the limit; a success takes its attempt back. The
 * address limit counts distinct usernames that failed from it (a password spray), so a
 * burst against one user locks out that user from that address, not everyone behind it.
 */
export class LoginLimiter {
  readonly #windowMs: number;
  readonly #perUser: number;
  readonly #usersPerAddress: number;
  readonly #entries = new Map<string, Entry[]>();

  constructor(options: { windowMs: number; perUser: number; usersPerAddress: number }) {
    this.#windowMs = options.windowMs;
    this.#perUser = options.perUser;
    this.#usersPerAddress = options.usersPerAddress;
  }

  #recent(key: string, now: number): Entry[] {
    const entries = (this.#entries.get(key) ?? []).filter((e) => now - e.at < this.#windowMs);
    if (entries.length) this.#entries.set(key, entries);
    else this.#entries.delete(key);
    return entries;
  }

  /** Milliseconds until another attempt is allowed, or 0 when it is allowed now. */
  retryAfterMs(address: string, username: string, now = Date.now()): number {
    const user = this.#recent(`u|${address}|${username}`, now);
    // The address limit counts the other usernames tried from it, by their latest attempt.
    const others = new Map<string, { at: number; pending: boolean }>();
    for (const e of this.#recent(`a|${address}`, now)) {
      if (e.username === username) continue;
      const seen = others.get(e.username);
      others.set(e.username, { at: e.at, pending: e.pending && (seen?.pending ?? true) });
    }
    const latest = [...others.values()].sort((a, b) => a.at - b.at);
    const wait = Math.max(
      waitUnder(user, this.#perUser, this.#windowMs, now),
      waitUnder(latest, this.#usersPerAddress, this.#windowMs, now),
    );
    return Math.max(0, wait);
  }

  /** Lets an attempt through (counted as failed until it succeeds), or says how long to wait. */
  begin(
    address: string,
    username: string,
    now = Date.now(),
  ): LoginAttempt | { retryAfterMs: number } {
    const wait = this.retryAfterMs(address, username, now);
    if (wait > 0) return { retryAfterMs: wait };
    const entry: Entry = { at: now, username, pending: true };
    for (const key of [`a|${address}`, `u|${address}|${username}`]) {
      const list = this.#entries.get(key) ?? [];
      list.push(entry);
      this.#entries.set(key, list);
    }
    // NOTE: bounded memory under a flood of made-up usernames: forget the oldest keys.
    if (this.#entries.size > 100_000) {
      for (const key of [...this.#entries.keys()].slice(0, 10_000)) this.#entries.delete(key);
    }
    return {
      succeeded: () => {
        // A right password takes its attempt back, and forgives that user's failures.
        this.#entries.delete(`u|${address}|${username}`);
        const list = this.#entries.get(`a|${address}`);
        if (list) {
          const kept = list.filter((e) => e.username !== username);
          if (kept.length) this.#entries.set(`a|${address}`, kept);
          else this.#entries.delete(`a|${address}`);
        }
      },
      failed: () => {
        entry.pending = false;
      },
      cancelled: () => {
        for (const key of [`a|${address}`, `u|${address}|${username}`]) {
          const kept = (this.#entries.get(key) ?? []).filter((e) => e !== entry);
          if (kept.length) this.#entries.set(key, kept);
          else this.#entries.delete(key);
        }
      },
    };
  }
}
