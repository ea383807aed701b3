import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@earshot/shared';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { AppError, UnavailableError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';

/** What a node says of itself in the registry. */
export const NodeInfo = z.object({
  id: z.string().min(1).max(64),
  /** Where the other nodes reach its HTTP API (forwarded requests). */
  url: z.string().url(),
  /** Live calls it holds, and how many it may. */
  calls: z.number().int().min(0),
  maxCalls: z.number().int().min(1),
  /** Consoles connected to it. */
  consoles: z.number().int().min(0),
  startedAt: z.string(),
});
export type NodeInfo = z.infer<typeof NodeInfo>;

const Envelope = z.object({ from: z.string().min(1).max(64), body: z.unknown() });
const Request = z.object({
  /** A tell expects no reply (audio fed to another node's call, ten times a second). */
  kind: z.enum(['request', 'tell']),
  id: z.string().max(64),
  from: z.string().min(1).max(64),
  method: z.string().max(64),
  body: z.unknown(),
});
const Reply = z.object({
  kind: z.literal('reply'),
  id: z.string().max(64),
  ok: z.boolean(),
  data: z.unknown().optional(),
  error: z.object({ code: ErrorCode, status: z.number(), message: z.string() }).optional(),
});

const PREFIX = 'earshot:';
const nodeKey = (id: string) => `${PREFIX}node:${id}`;
const NODES = `${PREFIX}nodes`;
const LEADER = `${PREFIX}leader`;
const busChannel = (topic: string) => `${PREFIX}bus:${topic}`;
const rpcChannel = (node: string) => `${PREFIX}rpc:${node}`;

/** Deletes a key (a lock, the leader lease) only if this node holds it. */
const RELEASE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/** Keeps the leader lease only if this node holds it; takes it if nobody does. */
const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

export interface ClusterOptions {
  url: string;
  nodeId: string;
  /** Where the other nodes reach this node's HTTP API (known once it listens). */
  nodeUrl: () => string;
  /** How long a node that stopped beating is still taken for alive. */
  expiryMs: number;
  /** What this node holds now (asked at every heartbeat). */
  load: () => { calls: number; maxCalls: number; consoles: number };
  logger: Logger;
}

type Handler = (body: unknown, from: string) => void;

/**
 * The nodes of one Earshot deployment, joined through Redis: a registry in which each node
 * beats (a key that expires), a bus (pub/sub topics every node hears), requests to one
 * named node, and a leader lease for the work that must run once (alert rules, clean-up
 * after a lost node). ioredis reconnects and resubscribes by itself; after an outage
 * `resync` tells the domains to fetch again what they may have missed.
 */
export class Cluster extends EventEmitter<{
  /** A node stopped beating (or was found dead): its calls are gone. */
  lost: [nodeId: string];
  /**
   * This node's own key had expired (it stalled longer than the expiry, or Redis lost it):
   * the others took it for lost and must be told again what it holds.
   */
  rejoined: [];
  /** Redis went away: what the other nodes publish cannot be heard until `resync`. */
  down: [];
  /** Redis came back after an outage: what was published meanwhile is lost, fetch again. */
  resync: [];
}> {
  readonly nodeId: string;
  /** Commands (the registry, shared limits). */
  readonly redis: Redis;
  /** For the Socket.IO adapter: a publishing and a subscribing connection of its own. */
  readonly adapterPub: Redis;
  readonly adapterSub: Redis;
  readonly #sub: Redis;
  readonly #o: ClusterOptions;
  readonly #log: Logger;
  readonly #startedAt = new Date().toISOString();
  readonly #topics = new Map<string, Handler[]>();
  readonly #methods = new Map<string, (body: unknown, from: string) => Promise<unknown>>();
  readonly #pending = new Map<
    string,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  #nodes = new Map<string, NodeInfo>();
  #leader = false;
  #timer: NodeJS.Timeout | undefined;
  #beating = false;
  #wasDown = false;
  #closed = false;
  #beats = 0;
  /**
   * Until then nobody is declared lost: after a start or an outage every node gets one
   * expiry to beat again before its absence means anything.
   */
  #graceUntil = 0;
  /** Nodes gone from the registry, not yet reported lost. */
  readonly #missing = new Set<string>();

  private constructor(options: ClusterOptions) {
    super();
    this.#o = options;
    this.nodeId = options.nodeId;
    this.#log = options.logger;
    const connect = (name: string) => {
      const client = new Redis(options.url, {
        connectionName: `earshot:${options.nodeId}:${name}`,
        // NOTE: a command waits for a reconnect at most a few retries, then fails: a request
        // must not hang on a Redis that is down.
        maxRetriesPerRequest: 2,
        retryStrategy: (times) => Math.min(200 * times, 2000),
        lazyConnect: true,
      });
      client.on('error', (error: Error) =>
        this.#log.debug({ err: error, connection: name }, 'redis connection error'),
      );
      return client;
    };
    this.redis = connect('commands');
    this.#sub = connect('bus');
    this.adapterPub = connect('adapter-pub');
    this.adapterSub = connect('adapter-sub');
    // NOTE: the bus connection is the one whose outage loses messages.
    this.#sub.on('close', () => {
      if (this.#closed || this.#wasDown) return;
      this.#wasDown = true;
      this.#log.warn('Redis is unreachable: nodes are not told of each other until it is back');
      this.emit('down');
    });
    this.#sub.on('ready', () => {
      if (!this.#wasDown || this.#closed) return;
      this.#wasDown = false;
      this.#graceUntil = Date.now() + this.#o.expiryMs;
      this.#log.info('Redis is back: resubscribed, fetching what may have been missed');
      // NOTE: a moment for ioredis to resubscribe and for the other nodes to come back too.
      setTimeout(() => !this.#closed && this.emit('resync'), 250).unref();
    });
    this.#sub.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.#message(channel.toString(), message),
    );
  }

  /**
   * Connects to Redis and reads the registry. The node joins it (and is sent work) only
   * once `join()` is called, when it is ready to serve.
   */
  static async connect(options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(options);
    try {
      await Promise.all(
        [cluster.redis, cluster.#sub, cluster.adapterPub, cluster.adapterSub].map((c) =>
          c.connect(),
        ),
      );
      await cluster.#sub.subscribe(rpcChannel(options.nodeId));
      // Who is there already (before this node registers): what start-up may not touch.
      cluster.#nodes = await cluster.#read();
    } catch (error) {
      cluster.close();
      throw new Error(`could not reach Redis at EARSHOT_REDIS_URL: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return cluster;
  }

  /** Registers this node and starts beating. */
  async join(): Promise<void> {
    this.#graceUntil = Date.now() + this.#o.expiryMs;
    await this.#beat();
    const every = Math.max(100, Math.floor(this.#o.expiryMs / 4));
    this.#timer = setInterval(() => void this.#beat(), every);
    this.#timer.unref();
  }

  /** The nodes alive at the last heartbeat, this one included. */
  nodes(): NodeInfo[] {
    return [...this.#nodes.values()];
  }

  node(id: string): NodeInfo | undefined {
    return this.#nodes.get(id);
  }

  /** Whether this node holds the leader lease (the work that must run once). */
  get leader(): boolean {
    return this.#leader;
  }

  async #beat(): Promise<void> {
    if (this.#beating || this.#closed) return;
    this.#beating = true;
    try {
      const me: NodeInfo = {
        id: this.nodeId,
        url: this.#o.nodeUrl(),
        startedAt: this.#startedAt,
        ...this.#o.load(),
      };
      const ttl = String(this.#o.expiryMs);
      const [previous, , lease, members] = (await this.redis
        .multi()
        .set(nodeKey(this.nodeId), JSON.stringify(me), 'PX', ttl, 'GET')
        .sadd(NODES, this.nodeId)
        .eval(LEASE, 1, LEADER, this.nodeId, ttl)
        .smembers(NODES)
        .exec()
        .then((r) => (r ?? []).map(([error, value]) => (error ? undefined : value)))) as [
        string | null | undefined,
        unknown,
        number | undefined,
        string[] | undefined,
      ];
      this.#leader = lease === 1;
      if (this.#beats++ > 0 && previous === null) {
        this.#log.warn('this node had been taken for lost: telling the others again what it holds');
        this.emit('rejoined');
      }
      const { alive, dead } = await this.#sort(members ?? []);
      // A node that left the registry (or whose key expired) is lost to this one; one that
      // went missing during a grace period is lost when the grace ends, unless it is back.
      for (const id of this.#nodes.keys()) if (!alive.has(id)) this.#missing.add(id);
      for (const id of dead) this.#missing.add(id);
      for (const id of alive.keys()) this.#missing.delete(id);
      this.#nodes = alive;
      if (Date.now() < this.#graceUntil) return;
      const lost = [...this.#missing];
      this.#missing.clear();
      for (const id of lost) this.emit('lost', id);
    } catch (error) {
      this.#log.debug({ err: error }, 'heartbeat failed');
    } finally {
      this.#beating = false;
    }
  }

  /** The registry's nodes, alive (their key is there) or dead. */
  async #sort(ids: string[]): Promise<{ alive: Map<string, NodeInfo>; dead: string[] }> {
    const infos = ids.length ? await this.redis.mget(ids.map(nodeKey)) : [];
    const alive = new Map<string, NodeInfo>();
    const dead: string[] = [];
    ids.forEach((id, i) => {
      const parsed = NodeInfo.safeParse(safeJson(infos[i]));
      if (parsed.success && parsed.data.id === id) alive.set(id, parsed.data);
      else dead.push(id);
    });
    return { alive, dead };
  }

  async #read(): Promise<Map<string, NodeInfo>> {
    return (await this.#sort(await this.redis.smembers(NODES))).alive;
  }

  /** Forgets a dead node in the registry (once its clean-up is done). */
  async forget(nodeId: string): Promise<void> {
    await this.redis.srem(NODES, nodeId);
  }

  /**
   * Runs `job` unless another node runs it now (a lock held at most `ms`); true when this
   * node ran it.
   */
  async exclusively(name: string, ms: number, job: () => Promise<void>): Promise<boolean> {
    const key = `${PREFIX}lock:${name}`;
    if ((await this.redis.set(key, this.nodeId, 'PX', ms, 'NX')) !== 'OK') return false;
    try {
      await job();
    } finally {
      await this.redis.eval(RELEASE, 1, key, this.nodeId).catch(() => undefined);
    }
    return true;
  }

  /** True the first time any node claims `key` before `untilMs` (then false until then). */
  async claimOnce(key: string, untilMs: number): Promise<boolean> {
    const got = await this.redis.set(`${PREFIX}once:${key}`, '1', 'PXAT', untilMs, 'NX');
    return got === 'OK';
  }

  /** Every other node hears `body` on `topic` (this one does not). */
  publish(topic: string, body: unknown): void {
    const message = JSON.stringify({ from: this.nodeId, body });
    this.redis
      .publish(busChannel(topic), message)
      .catch((error: unknown) => this.#log.warn({ err: error, topic }, 'could not publish'));
  }

  /** Hears what the other nodes publish on `topic`, checked against `schema`. */
  subscribe<S extends z.ZodType>(
    topic: string,
    schema: S,
    handler: (body: z.infer<S>, from: string) => void,
  ): void {
    const list = this.#topics.get(topic) ?? [];
    if (list.length === 0) void this.#sub.subscribe(busChannel(topic));
    list.push((raw, from) => {
      const parsed = schema.safeParse(raw);
      if (parsed.success) handler(parsed.data, from);
      else this.#log.warn({ topic, from }, 'a node published a malformed message; ignored');
    });
    this.#topics.set(topic, list);
  }

  /** Answers requests for `method` from the other nodes. */
  handle<S extends z.ZodType>(
    method: string,
    schema: S,
    handler: (body: z.infer<S>, from: string) => Promise<unknown>,
  ): void {
    this.#methods.set(method, async (raw, from) => {
      const parsed = schema.safeParse(raw);
      if (!parsed.success)
        throw new AppError('validation_failed', 400, `malformed ${method} request`);
      return handler(parsed.data, from);
    });
  }

  /** Asks node `to` to run `method`; its AppError comes back as one. */
  request(to: string, method: string, body: unknown, timeoutMs = 5000): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new UnavailableError(`node "${to}" did not answer in time; try again`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      const message = JSON.stringify({ kind: 'request', id, from: this.nodeId, method, body });
      this.redis.publish(rpcChannel(to), message).catch(() => {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new UnavailableError('the nodes cannot reach each other (Redis); try again'));
      });
    });
  }

  /** Runs `method` on node `to` without waiting for (or getting) an answer. */
  tell(to: string, method: string, body: unknown): void {
    const message = JSON.stringify({ kind: 'tell', id: '', from: this.nodeId, method, body });
    this.redis
      .publish(rpcChannel(to), message)
      .catch((error: unknown) => this.#log.debug({ err: error, method }, 'could not tell a node'));
  }

  #message(channel: string, raw: Buffer): void {
    const json = safeJson(raw.toString());
    if (channel === rpcChannel(this.nodeId)) {
      const reply = Reply.safeParse(json);
      if (reply.success) return this.#settle(reply.data);
      const request = Request.safeParse(json);
      if (request.success) void this.#answer(request.data);
      return;
    }
    const envelope = Envelope.safeParse(json);
    if (!envelope.success || envelope.data.from === this.nodeId) return;
    const topic = channel.slice(busChannel('').length);
    for (const handler of this.#topics.get(topic) ?? []) {
      try {
        handler(envelope.data.body, envelope.data.from);
      } catch (error) {
        this.#log.error({ err: error, topic }, 'a cluster message handler failed');
      }
    }
  }

  #settle(reply: z.infer<typeof Reply>): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.ok) pending.resolve(reply.data);
    else {
      const e = reply.error ?? { code: 'internal', status: 500, message: 'internal error' };
      pending.reject(new AppError(e.code, e.status, e.message));
    }
  }

  async #answer(request: z.infer<typeof Request>): Promise<void> {
    const method = this.#methods.get(request.method);
    if (request.kind === 'tell') {
      await method?.(request.body, request.from).catch((error: unknown) => {
        if (!(error instanceof AppError))
          this.#log.error({ err: error, method: request.method }, 'a cluster tell failed');
      });
      return;
    }
    let reply: z.infer<typeof Reply>;
    try {
      if (!method) throw new AppError('not_found', 404, `no method ${request.method}`);
      reply = {
        kind: 'reply',
        id: request.id,
        ok: true,
        data: await method(request.body, request.from),
      };
    } catch (error) {
      if (!(error instanceof AppError))
        this.#log.error({ err: error, method: request.method }, 'a cluster request failed');
      reply = {
        kind: 'reply',
        id: request.id,
        ok: false,
        error:
          error instanceof AppError
            ? { code: error.code, status: error.status, message: error.message }
            : { code: 'internal', status: 500, message: 'internal error' },
      };
    }
    await this.redis
      .publish(rpcChannel(request.from), JSON.stringify(reply))
      .catch(() => undefined);
  }

  /** Leaves the registry at once (a clean stop) and closes the connections. */
  async leave(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    await this.redis
      .multi()
      .del(nodeKey(this.nodeId))
      .srem(NODES, this.nodeId)
      .eval(RELEASE, 1, LEADER, this.nodeId)
      .exec()
      .catch(() => undefined);
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new UnavailableError('the node is shutting down'));
      this.#pending.delete(id);
    }
    for (const client of [this.redis, this.#sub, this.adapterPub, this.adapterSub])
      client.disconnect();
  }
}

function safeJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
