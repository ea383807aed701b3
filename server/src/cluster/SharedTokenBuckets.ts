import type { Redis } from 'ioredis';
import { TokenBuckets, type Buckets } from '../util/TokenBuckets.ts';

/**
 * One step of a token bucket, atomic in Redis. KEYS: the bucket. ARGV: tokens a second,
 * burst, now (ms). Returns 0 when a token was taken, else the ms until one is there.
 */
const TAKE = `
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1]) or burst
local at = tonumber(held[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait`;

/**
 * Token buckets every node spends from (an ingest token's new calls a second hold however
 * many nodes its requests reach). While Redis cannot answer, this node's own buckets
 * stand in: calls keep coming in, limited per node.
 */
export class SharedTokenBuckets implements Buckets {
  readonly #redis: Redis;
  readonly #name: string;
  readonly #rate: number;
  readonly #burst: number;
  readonly #fallback: TokenBuckets;
  #refused = 0;

  constructor(redis: Redis, name: string, options: { ratePerSecond: number; burst: number }) {
    this.#redis = redis;
    this.#name = name;
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#fallback = new TokenBuckets(options);
  }

  async take(key: string): Promise<number> {
    const wait = await this.#redis
      .eval(TAKE, 1, `earshot:bucket:${this.#name}:${key}`, this.#rate, this.#burst, Date.now())
      .then(Number)
      .catch(() => this.#fallback.take(key));
    if (wait > 0) this.#refused++;
    return wait;
  }

  get refused(): number {
    return this.#refused;
  }
}
