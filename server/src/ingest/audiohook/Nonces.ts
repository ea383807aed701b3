/** Remembers signature nonces until they expire, so that a replayed upgrade is refused. */
export interface Nonces {
  /** True the first time `nonce` is claimed before `untilMs`; false when it was seen. */
  claim(nonce: string, untilMs: number): Promise<boolean>;
}

/** At most this many nonces kept by one node (each until its signature expires). */
const MAX_NONCES = 100_000;

/** One node's nonces, in memory (bounded: the soonest to expire go first). */
export class LocalNonces implements Nonces {
  readonly #seen = new Map<string, number>();

  claim(nonce: string, untilMs: number, now = Date.now()): Promise<boolean> {
    for (const [seen, until] of this.#seen) {
      if (until >= now && this.#seen.size < MAX_NONCES) break;
      this.#seen.delete(seen);
    }
    if (this.#seen.has(nonce)) return Promise.resolve(false);
    this.#seen.set(nonce, untilMs);
    return Promise.resolve(true);
  }
}
