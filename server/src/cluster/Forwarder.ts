import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Request, Response } from 'express';
import { UnavailableError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Cluster, NodeInfo } from './Cluster.ts';

/** Marks a request one node passed to another: it is answered there, never passed on. */
export const FORWARDED_HEADER = 'x-earshot-forwarded-by';

/** What goes to the other node (who asks, what, in which form) and what comes back. */
const REQUEST_HEADERS = [
  'authorization',
  'cookie',
  'content-type',
  'accept',
  'range',
  'origin',
  'user-agent',
];
const RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'content-disposition',
  'accept-ranges',
  'cache-control',
  'retry-after',
  'location',
];

/**
 * Passes a REST request to the node it belongs to (the node that taps a call, holds its
 * recording, or is least loaded for a new call) and relays its answer as it comes. The
 * other node checks the caller's credentials itself: they are the same everywhere, in the
 * shared database.
 */
export class Forwarder {
  readonly #cluster: Cluster;
  readonly #log: Logger;

  constructor(cluster: Cluster, log: Logger) {
    this.#cluster = cluster;
    this.#log = log;
  }

  /** Whether this request was already passed on by another node. */
  static forwarded(req: Request): boolean {
    return req.get(FORWARDED_HEADER) !== undefined;
  }

  /** Sends the request to node `to` (alive in the registry) and relays the answer. */
  async forward(req: Request, res: Response, to: NodeInfo): Promise<void> {
    const url = new URL(req.originalUrl, to.url);
    const headers: Record<string, string> = { [FORWARDED_HEADER]: this.#cluster.nodeId };
    for (const name of REQUEST_HEADERS) {
      const value = req.get(name);
      if (value !== undefined) headers[name] = value;
    }
    // NOTE: the host the caller used, so that the other node's host and origin checks
    // see what this node saw.
    const host = req.get('host');
    if (host) headers.host = host;
    const hasBody = req.body !== undefined && !['GET', 'HEAD', 'DELETE'].includes(req.method);
    const body = hasBody ? JSON.stringify(req.body) : undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    await new Promise<void>((resolve, reject) => {
      const outgoing = send(url, { method: req.method, headers, timeout: 10_000 }, (answer) => {
        res.status(answer.statusCode ?? 502);
        for (const name of RESPONSE_HEADERS) {
          const value = answer.headers[name];
          if (value !== undefined) res.setHeader(name, value);
        }
        res.setHeader('x-earshot-node', to.id);
        answer.pipe(res);
        answer.once('end', resolve);
        answer.once('error', reject);
        res.once('close', () => answer.destroy());
      });
      outgoing.once('timeout', () => outgoing.destroy(new Error('timed out')));
      outgoing.once('error', (error) => {
        this.#log.warn({ err: error, node: to.id, path: req.path }, 'forwarding failed');
        if (res.headersSent) {
          res.destroy();
          resolve();
        } else reject(new UnavailableError(`node "${to.id}" could not be reached; try again`));
      });
      outgoing.end(body);
    });
  }
}

/**
 * How long a call this node sent to another counts there before that node's own count
 * shows it (it says what it holds once a tick, a quarter second).
 */
const PLACED_MS = 400;

/**
 * Where requests go with several nodes: a new call to the least loaded live node (by live
 * calls over its limit, counting the calls just sent its way), a call's own requests to
 * the node that taps it.
 */
export class Routing {
  readonly #cluster: Cluster;
  readonly #forwarder: Forwarder;
  readonly #liveHere: () => number;
  readonly #liveOn: () => Map<string, number>;
  readonly #placed = new Map<string, number[]>();

  constructor(options: {
    cluster: Cluster;
    logger: Logger;
    /** This node's live calls. */
    liveHere: () => number;
    /** The other nodes' live calls, as they last said. */
    liveOn: () => Map<string, number>;
  }) {
    this.#cluster = options.cluster;
    this.#forwarder = new Forwarder(options.cluster, options.logger);
    this.#liveHere = options.liveHere;
    this.#liveOn = options.liveOn;
  }

  get nodeId(): string {
    return this.#cluster.nodeId;
  }

  /** The node a new call should land on, when it is another one. */
  placeNewCall(): NodeInfo | undefined {
    const now = Date.now();
    const counts = this.#liveOn();
    let best: { node: NodeInfo; load: number } | undefined;
    for (const node of this.#cluster.nodes()) {
      const recent = (this.#placed.get(node.id) ?? []).filter((at) => now - at < PLACED_MS);
      this.#placed.set(node.id, recent);
      const live =
        (node.id === this.#cluster.nodeId ? this.#liveHere() : (counts.get(node.id) ?? 0)) +
        recent.length;
      const load = live / node.maxCalls;
      // Ties stay here: no hop for nothing.
      if (!best || load < best.load || (load === best.load && node.id === this.#cluster.nodeId))
        best = { node, load };
    }
    if (!best || best.node.id === this.#cluster.nodeId) return undefined;
    this.#placed.get(best.node.id)!.push(now);
    return best.node;
  }

  /** A live node by id (not this one). */
  other(nodeId: string | undefined): NodeInfo | undefined {
    if (!nodeId || nodeId === this.#cluster.nodeId) return undefined;
    return this.#cluster.node(nodeId);
  }

  /**
   * Passes the request to `to` unless it was passed here already; true when it did (the
   * answer is then relayed). With `orHere`, a node that cannot be reached leaves the
   * request to this one (a new call goes wherever it can) instead of failing it.
   */
  async pass(
    req: Request,
    res: Response,
    to: NodeInfo | undefined,
    options: { orHere?: boolean } = {},
  ): Promise<boolean> {
    if (!to || Forwarder.forwarded(req)) return false;
    try {
      await this.#forwarder.forward(req, res, to);
    } catch (error) {
      if (options.orHere && !res.headersSent && error instanceof UnavailableError) return false;
      throw error;
    }
    return true;
  }
}
