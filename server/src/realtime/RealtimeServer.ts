import type { Server as HttpServer } from 'node:http';
import { fieldIssues, type Ack, type ClientToServerEvents } from '@earshot/shared';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import type { Cluster } from '../cluster/Cluster.ts';
import type { RemoteCalls } from '../calls/RemoteCalls.ts';
import type { z } from 'zod';
import type { AuthService } from '../auth/AuthService.ts';
import type { CallService } from '../calls/CallService.ts';
import { BoardFeed } from '../calls/socket.ts';
import { AppError, UnauthorizedError } from '../errors.ts';
import { hostAllowed, readCookie, sameOrigin, SESSION_COOKIE } from '../http/auth.ts';
import type { KpiService } from '../kpi/KpiService.ts';
import type { AgentBoard } from '../agents/AgentBoard.ts';
import type { AlertService } from '../alerts/AlertService.ts';
import { AlertsSocket } from '../alerts/socket.ts';
import { AgentsSocket } from '../agents/socket.ts';
import { KpiSocket } from '../kpi/socket.ts';
import type { ListenService } from '../listen/ListenService.ts';
import { ListenSocket } from '../listen/socket.ts';
import type { Logger } from '../log/logger.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { TagService } from '../tags/TagService.ts';
import { TagSocket } from '../tags/socket.ts';
import {
  NoPayload,
  type EarshotIo,
  type EarshotSocket,
  type Handler,
  type OnEvent,
  type SocketDomain,
} from './socketKit.ts';

/**
 * Socket.IO: signed-in consoles only. Checks the session on every event and hands each
 * event to the domain that owns it (the board, listening, tags, KPIs: each domain's
 * `socket.ts`), which fans its changes out through rooms.
 */
export class RealtimeServer {
  readonly io: EarshotIo;
  readonly #auth: AuthService;
  readonly #log: Logger;
  readonly #board: BoardFeed;
  readonly #domains: SocketDomain[];
  readonly #agents: AgentsSocket;
  readonly #watchdog: NodeJS.Timeout;
  #slowDropped = 0;

  constructor(
    httpServer: HttpServer,
    limits: { allowedHosts: string[] | null; socketsPerUser: number; bufferBytes: number },
    calls: CallService,
    listen: ListenService,
    tags: TagService,
    kpi: KpiService,
    auth: AuthService,
    org: OrgRepository,
    agents: AgentBoard,
    alerts: AlertService,
    log: Logger,
    nodes: { cluster: Cluster | undefined; remote: RemoteCalls | undefined } = {
      cluster: undefined,
      remote: undefined,
    },
  ) {
    this.#auth = auth;
    this.#log = log;
    this.io = new Server(httpServer, {
      serveClient: false,
      maxHttpBufferSize: 64 * 1024,
      // NOTE: CORS is closed: a page from another origin may not open the console's socket.
      allowRequest: (req, callback) => {
        const origin = req.headers.origin;
        const host = req.headers.host;
        callback(
          null,
          hostAllowed(host, limits.allowedHosts) && (!origin || sameOrigin(origin, host)),
        );
      },
    });
    // NOTE: with several nodes, rooms span them all (tags reach a call's listeners on every
    // node); what each node computes for its own consoles (board, KPIs) is sent locally.
    if (nodes.cluster)
      this.io.adapter(
        createAdapter(nodes.cluster.adapterPub, nodes.cluster.adapterSub, { key: 'earshot:io' }),
      );
    this.io.use((socket, next) => {
      const token = readCookie(socket.request.headers.cookie, SESSION_COOKIE);
      auth
        .resolve(token)
        .then((principal) => {
          if (!principal || !token) return next(new Error('unauthorized'));
          // NOTE: an agent has no live console: no board, no presence, no audio.
          if (principal.access.agent !== null)
            return next(new Error('forbidden: an agent sees only their own evaluations'));
          // NOTE: a user has a bounded number of consoles: each costs buffers and rooms.
          let open = 0;
          for (const other of this.io.sockets.sockets.values())
            if (other.data.principal?.user.id === principal.user.id) open++;
          if (open >= limits.socketsPerUser)
            return next(
              new Error(`too many consoles open for this user (${limits.socketsPerUser})`),
            );
          socket.data = { token, principal, followed: new Map() };
          next();
        })
        .catch((error: unknown) => next(error as Error));
    });
    this.#board = new BoardFeed(this.io, calls, listen, nodes.remote);
    this.#domains = [
      this.#board,
      new ListenSocket(this.io, listen),
      new TagSocket(this.io, tags, calls),
      new KpiSocket(this.io, kpi, org, calls),
      (this.#agents = new AgentsSocket(this.io, agents, log)),
      new AlertsSocket(this.io, alerts),
    ];
    auth.on('changed', (userId) => void this.#rightsChanged(userId));
    auth.on('ended', (sessionHash, reason) => {
      for (const socket of this.io.sockets.sockets.values()) {
        if (socket.data.principal?.sessionHash !== sessionHash) continue;
        socket.emit('session:ended', { reason });
        socket.disconnect(true);
      }
    });
    this.io.on('connection', (socket) => this.#connect(socket));
    // NOTE: a console that answers pings but does not read would make the server hold
    // everything sent to it: past the bound it is dropped (it reconnects when it reads).
    this.#watchdog = setInterval(() => this.#dropSlow(limits.bufferBytes), 1000);
    this.#watchdog.unref();
  }

  #dropSlow(bound: number): void {
    for (const socket of this.io.sockets.sockets.values()) {
      const waiting = backlog(socket);
      if (waiting <= bound) continue;
      this.#slowDropped++;
      this.#log.warn(
        { user: socket.data.principal?.user.id, waiting },
        'console dropped: it does not read what is sent to it',
      );
      socket.disconnect(true);
      // What waits for it is thrown away with its connection: nothing is held for it.
      rawSocket(socket)?.destroy();
    }
  }

  /** Consoles dropped because they did not read. */
  get slowDropped(): number {
    return this.#slowDropped;
  }

  /** A user's rights changed: each of their sockets keeps only what it may still have. */
  async #rightsChanged(userId: string): Promise<void> {
    for (const socket of this.io.sockets.sockets.values()) {
      if (socket.data.principal?.user.id !== userId) continue;
      const principal = await this.#auth.resolve(socket.data.token).catch(() => undefined);
      if (!principal) {
        for (const d of this.#domains) d.disconnect?.(socket);
        socket.emit('session:ended', { reason: 'removed' });
        socket.disconnect(true);
        continue;
      }
      socket.data.principal = principal;
      for (const d of this.#domains) await d.rightsChanged?.(socket, principal);
      socket.emit('session:changed');
    }
  }

  #connect(socket: EarshotSocket): void {
    const on: OnEvent = <S extends z.ZodType, T>(
      event: keyof ClientToServerEvents,
      schema: S,
      handler: Handler<S, T>,
    ) => {
      socket.on(event, async (payload: unknown, ack: unknown) => {
        const reply =
          typeof ack === 'function' ? (ack as (result: Ack<T>) => void) : () => undefined;
        const parsed = schema.safeParse(payload ?? {});
        if (!parsed.success) {
          reply({
            ok: false,
            error: {
              code: 'validation_failed',
              message: `invalid ${event} payload`,
              issues: fieldIssues(parsed.error),
            },
          });
          return;
        }
        try {
          // NOTE: the session is checked on every event: signed out or expired stops here.
          const principal = await this.#auth.resolve(socket.data.token);
          if (!principal) throw new UnauthorizedError('the session has ended: sign in again');
          socket.data.principal = principal;
          reply({ ok: true, data: await handler(socket, parsed.data, principal) });
        } catch (error) {
          if (error instanceof AppError) {
            reply({ ok: false, error: { code: error.code, message: error.message } });
            if (error instanceof UnauthorizedError) socket.disconnect(true);
          } else {
            this.#log.error({ err: error, event }, 'socket handler failed');
            reply({ ok: false, error: { code: 'internal', message: 'internal error' } });
          }
        }
      });
    };
    on('session:hello', NoPayload, (s, _payload, p) => ({ id: s.id, name: p.user.name }));
    on('session:time', NoPayload, () => ({ now: Date.now() }));
    for (const d of this.#domains) d.connect(socket, on);
    socket.on('disconnect', () => {
      for (const d of this.#domains) d.disconnect?.(socket);
    });
    socket.on('error', (error) => this.#log.debug({ err: error }, 'socket error'));
  }

  /** Consoles connected to this node. */
  get consoles(): number {
    return this.io.sockets.sockets.size;
  }

  /** Consoles on the live board now. */
  get boardViewers(): number {
    return this.#board.viewers;
  }

  close(): Promise<void> {
    clearInterval(this.#watchdog);
    this.#agents.close();
    return new Promise((resolve) => void this.io.close(() => resolve()));
  }
}

type RawSocket = { writableLength?: number; destroy(): void };
type Conn = {
  writeBuffer?: { data?: unknown }[];
  transport?: { socket?: { _socket?: RawSocket } };
  request?: { socket?: RawSocket };
};

/** The TCP socket under a console's connection (WebSocket, or the polling request's). */
function rawSocket(socket: EarshotSocket): RawSocket | undefined {
  const conn = socket.conn as unknown as Conn;
  return conn.transport?.socket?._socket ?? conn.request?.socket;
}

/** Bytes waiting to go to a console: in Engine.IO's buffer and the TCP socket's. */
function backlog(socket: EarshotSocket): number {
  const conn = socket.conn as unknown as Conn;
  const tcp = rawSocket(socket)?.writableLength ?? 0;
  let queued = 0;
  for (const packet of conn.writeBuffer ?? [])
    queued += typeof packet.data === 'string' ? packet.data.length : 64;
  return tcp + queued;
}
