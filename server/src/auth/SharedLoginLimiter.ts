import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { UnavailableError } from '../errors.ts';
import type { LoginAttempt } from './LoginLimiter.ts';

/**
 * One step, atomic in Redis: forget what left the window, then either say how long to wait
 * or count the attempt. KEYS: the user's attempts (from this address), the usernames tried
 * from the address (each by its latest attempt). ARGV: now, window, per-user limit,
 * usernames-per-address limit, username, attempt id. Returns the wait in ms (0: counted).
 */
const BEGIN = `
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local perUser, perAddress = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local wait = 0
local mine = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local n = #mine / 2
if n >= perUser then
  wait = math.max(wait, tonumber(mine[(n - perUser) * 2 + 2]) + window - now)
end
local others = {}
local all = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #all, 2 do
  if all[i] ~= ARGV[5] then table.insert(others, tonumber(all[i + 1])) end
end
if #others >= perAddress then
  wait = math.max(wait, others[#others - perAddress + 1] + window - now)
end
if wait > 0 then return math.max(1, wait) end
redis.call('ZADD', KEYS[1], now, ARGV[6])
redis.call('ZADD', KEYS[2], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PEXPIRE', KEYS[2], window)
return 0`;

/**
 * The sign-in limit shared by every node (several nodes behind one load balancer must not
 * each grant the attempts): the same rule as LoginLimiter, per address and username in a
 * sliding window, kept in Redis. An attempt counts from the moment it is let through; a
 * success takes back that user's attempts and its name from the address's list; an attempt
 * whose password could not be checked is taken back.
 */
export class SharedLoginLimiter {
  readonly #redis: Redis;
  readonly #o: { windowMs: number; perUser: number; usersPerAddress: number };

  constructor(
    redis: Redis,
    options: { windowMs: number; perUser: number; usersPerAddress: number },
  ) {
    this.#redis = redis;
    this.#o = options;
  }

  async begin(
    address: string,
    username: string,
    now = Date.now(),
  ): Promise<LoginAttempt | { retryAfterMs: number }> {
    const userKey = `earshot:login:u:${address}|${username}`;
    const addressKey = `earshot:login:a:${address}`;
    const id = randomUUID();
    const wait = await this.#redis
      .eval(
        BEGIN,
        2,
        userKey,
        addressKey,
        now,
        this.#o.windowMs,
        this.#o.perUser,
        this.#o.usersPerAddress,
        username,
        id,
      )
      .catch(() => {
        // NOTE: no Redis, no sign-in: letting everyone through would lift the limit.
        throw new UnavailableError('sign-in is unavailable for a moment (Redis); try again');
      });
    if (Number(wait) > 0) return { retryAfterMs: Number(wait) };
    const settle = (commands: Promise<unknown>) => void commands.catch(() => undefined);
    return {
      succeeded: () => settle(this.#redis.multi().del(userKey).zrem(addressKey, username).exec()),
      failed: () => undefined,
      cancelled: () => settle(this.#redis.zrem(userKey, id)),
    };
  }
}
