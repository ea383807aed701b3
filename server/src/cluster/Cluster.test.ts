// The cluster's parts against a real, private redis-server: the registry, the bus, requests
// between nodes, and the sign-in limit they share.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SharedLoginLimiter } from '../auth/SharedLoginLimiter.ts';
import { AppError, UnavailableError } from '../errors.ts';
import { createRootLogger } from '../log/logger.ts';
import { eventually } from '../test/harness.ts';
import { startRedis, type PrivateRedis } from '../test/redis.ts';
import { Cluster } from './Cluster.ts';
import { SharedTokenBuckets } from './SharedTokenBuckets.ts';

let redis: PrivateRedis;
const open: Cluster[] = [];
const logger = createRootLogger('silent');

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());
afterEach(() => {
  for (const node of open.splice(0)) node.close();
});

async function node(id: string, expiryMs = 600): Promise<Cluster> {
  const cluster = await Cluster.connect({
    url: redis.url,
    nodeId: id,
    nodeUrl: () => `http://127.0.0.1:1/${id}`,
    expiryMs,
    load: () => ({ calls: 0, maxCalls: 100, consoles: 0 }),
    logger,
  });
  open.push(cluster);
  await cluster.join();
  return cluster;
}

describe('the cluster over Redis', () => {
  it('lists the nodes that beat, and reports one that stops as lost within the expiry', async () => {
    const a = await node('reg-a');
    const b = await node('reg-b');
    await eventually(() => (a.nodes().length === 2 ? true : undefined), 2000, 'two nodes');
    // Past the start-up grace, b stops beating (a crash: it never leaves the registry).
    await new Promise((resolve) => setTimeout(resolve, 700));
    const lost = new Promise<string>((resolve) => a.once('lost', resolve));
    const stoppedAt = Date.now();
    b.close();
    expect(await lost).toBe('reg-b');
    expect(Date.now() - stoppedAt).toBeLessThan(600 + 500);
    expect(a.nodes().map((n) => n.id)).toEqual(['reg-a']);
    // Exactly one of the survivors would run the clean-up.
    const runs = await Promise.all([
      a.exclusively('lost:reg-b', 5000, () => new Promise((r) => setTimeout(r, 100))),
      a.exclusively('lost:reg-b', 5000, () => Promise.resolve()),
    ]);
    expect(runs.filter(Boolean)).toHaveLength(1);
    await a.forget('reg-b');
  });

  it('tells a node that was taken for lost (its key expired) to say again what it holds', async () => {
    const a = await node('stall-a');
    const rejoined = new Promise<void>((resolve) => a.once('rejoined', resolve));
    const direct = new Redis(redis.url);
    try {
      await direct.del('earshot:node:stall-a');
    } finally {
      direct.disconnect();
    }
    await rejoined;
  });

  it('carries a topic to the other nodes, checked: malformed messages are dropped, nothing breaks', async () => {
    const a = await node('bus-a');
    const b = await node('bus-b');
    const heard: number[] = [];
    b.subscribe('test:numbers', z.object({ n: z.number() }), ({ n }) => heard.push(n));
    a.subscribe('test:numbers', z.object({ n: z.number() }), ({ n }) => heard.push(-n));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const direct = new Redis(redis.url);
    try {
      for (const junk of ['not json', '{"from":"x"}', '{"from":"x","body":{"n":"1"}}', '[]'])
        await direct.publish('earshot:bus:test:numbers', junk);
    } finally {
      direct.disconnect();
    }
    a.publish('test:numbers', { n: 7 });
    await eventually(() => (heard.length > 0 ? true : undefined), 2000, 'the message');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The publisher does not hear itself; b heard only the well-formed one.
    expect(heard).toEqual([7]);
  });

  it('answers a request to one node, brings its AppError back, and fails fast when nobody answers', async () => {
    const a = await node('rpc-a');
    const b = await node('rpc-b');
    b.handle('test:double', z.object({ n: z.number().int() }), async ({ n }, from) => {
      if (n < 0) throw new AppError('conflict', 409, 'no negatives here');
      return { twice: n * 2, from };
    });
    expect(await a.request('rpc-b', 'test:double', { n: 21 })).toEqual({
      twice: 42,
      from: 'rpc-a',
    });
    await expect(a.request('rpc-b', 'test:double', { n: -1 })).rejects.toMatchObject({
      status: 409,
      message: 'no negatives here',
    });
    await expect(a.request('rpc-b', 'test:double', { n: 'x' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(a.request('rpc-b', 'test:unknown', {})).rejects.toMatchObject({ status: 404 });
    const started = Date.now();
    await expect(a.request('nobody', 'test:double', { n: 1 }, 300)).rejects.toBeInstanceOf(
      UnavailableError,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('the cluster when Redis restarts', () => {
  it('reports a node that died while Redis was away as lost once the others are back', async () => {
    const a = await node('outage-a');
    const b = await node('outage-b');
    await eventually(() => (a.nodes().length === 2 ? true : undefined), 2000, 'two nodes');
    await new Promise((resolve) => setTimeout(resolve, 700));
    const lost: string[] = [];
    a.on('lost', (id) => lost.push(id));
    // b dies and Redis forgets everything (the registry with it) at the same time.
    b.close();
    await redis.restart();
    await eventually(() => (lost.includes('outage-b') ? true : undefined), 8000, 'b lost');
    expect(a.nodes().map((n) => n.id)).toEqual(['outage-a']);
  }, 15_000);
});

describe('the shared sign-in limit', () => {
  const limits = { windowMs: 60_000, perUser: 3, usersPerAddress: 4 };

  it('binds every node: attempts on two nodes count together, a success forgives, a cancelled one is taken back', async () => {
    const a = await node('limit-a');
    const b = await node('limit-b');
    const onA = new SharedLoginLimiter(a.redis, limits);
    const onB = new SharedLoginLimiter(b.redis, limits);
    const addr = `192.0.2.${Math.floor(Math.random() * 200)}`;
    const attempt = async (limiter: SharedLoginLimiter, user = 'dana', address = addr) => {
      const got = await limiter.begin(address, user);
      if ('retryAfterMs' in got) return got.retryAfterMs;
      got.failed();
      return 0;
    };
    expect(await attempt(onA)).toBe(0);
    expect(await attempt(onB)).toBe(0);
    const cancelled = await onA.begin(addr, 'dana');
    if ('retryAfterMs' in cancelled) throw new Error('should be let through');
    cancelled.cancelled();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await attempt(onB)).toBe(0);
    // The fourth counted attempt, on either node, waits for the window.
    const wait = await attempt(onA);
    expect(wait).toBeGreaterThan(50_000);
    expect(wait).toBeLessThanOrEqual(60_000);
    // Another user from the address is not held by dana's limit.
    expect(await attempt(onB, 'lee')).toBe(0);
    // Four usernames tried from one address (dana, lee, u1, u2) lock it for a fifth.
    for (const user of ['u1', 'u2']) expect(await attempt(onA, user)).toBe(0);
    expect(await attempt(onB, 'u3')).toBeGreaterThan(0);
    // A right password forgives that user (and takes its name off the address's list).
    const other = `198.51.100.${Math.floor(Math.random() * 200)}`;
    const first = await onA.begin(other, 'quinn');
    if ('retryAfterMs' in first) throw new Error('should be let through');
    first.failed();
    const right = await onB.begin(other, 'quinn');
    if ('retryAfterMs' in right) throw new Error('should be let through');
    right.succeeded();
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 3; i++) expect(await attempt(i % 2 ? onA : onB, 'quinn', other)).toBe(0);
    expect(await attempt(onA, 'quinn', other)).toBeGreaterThan(0);
  });
});

describe('shared token buckets', () => {
  it("spend one budget on every node: an ingest token's burst, then its rate, whichever node it reaches", async () => {
    const a = await node('bucket-a');
    const b = await node('bucket-b');
    const options = { ratePerSecond: 2, burst: 4 };
    const onA = new SharedTokenBuckets(a.redis, 'test', options);
    const onB = new SharedTokenBuckets(b.redis, 'test', options);
    const key = `token-${Math.random()}`;
    const takes = [];
    for (let i = 0; i < 4; i++) takes.push(await (i % 2 ? onA : onB).take(key));
    expect(takes).toEqual([0, 0, 0, 0]);
    const wait = await onA.take(key);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(500);
    expect(onA.refused).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, wait + 20));
    expect(await onB.take(key)).toBe(0);
    expect(await onA.take(key)).toBeGreaterThan(0);
    // Another token has its own budget.
    expect(await onB.take(`other-${key}`)).toBe(0);
  });
});
