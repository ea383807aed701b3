/** Token buckets as a route spends them (in this process, or shared by every node). */
export interface Buckets {
  /** 0 when a token was taken; else the milliseconds until one will be there. */
  take(key: string): number | Promise<number>;
  /** How many takes were refused. */
  readonly refused: number;
}

/**
 * A token bucket per key: `rate` tokens a second up to `burst`. `take` spends one, or says
 * how long until one is there. Keys beyond `maxKeys` push out the least recently used.
 */
export class TokenBuckets implements Buckets {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  #refused = 0;

  constructor(options: { ratePerSecond: number; burst: number; maxKeys?: number }) {
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** 0 when a token was taken; else the milliseconds until one will be there. */
  take(key: string, now = Date.now()): number {
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
    this.#buckets.delete(key);
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys)
      this.#buckets.delete(this.#buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    this.#refused++;
    return Math.ceil(((1 - bucket.tokens) / this.#rate) * 1000);
  }

  /** How many takes were refused. */
  get refused(): number {
    return this.#refused;
  }
}
