import type { Server as HttpServer } from 'node:http';
import {
  fieldIssues,
  HelloRequest,
  ListenCallRequest,
  ListenConnectRequest,
  KpiSubscribeRequest,
  ListenStartRequest,
  SocketCreateTagRequest,
  type Ack,
  type BoardUpdate,
  type Call,
  type KpiWindow,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@earshot/shared';
import type { types as ms } from 'mediasoup';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import type { CallService } from '../calls/CallService.ts';
import { AppError } from '../errors.ts';
import type { ListenService } from '../listen/ListenService.ts';
import type { KpiService } from '../kpi/KpiService.ts';
import type { TagService } from '../tags/TagService.ts';
import type { Logger } from '../log/logger.ts';
import { ROUTER_RTP_CAPABILITIES } from '../media/codecs.ts';

const BOARD_ROOM = 'board';
/** Events that carry no data accept any object (or none). */
const NoPayload = z.looseObject({});
const callRoom = (callId: string) => `call:${callId}`;
const kpiRoom = (scope: string, window: string) => `kpi:${scope}|${window}`;

type EarshotSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
type Handler<S extends z.ZodType, T> = (
  socket: EarshotSocket,
  payload: z.infer<S>,
) => Promise<T> | T;

/**
 * Socket.IO: translates socket events into domain calls, and fans changes out through
 * rooms: the board (batched once per CallService tick) and one room per call for presence.
 */
export class RealtimeServer {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents>;
  readonly #calls: CallService;
  readonly #listen: ListenService;
  readonly #tags: TagService;
  readonly #kpi: KpiService;
  readonly #log: Logger;
  #upserts = new Map<string, Call>();
  #ended = new Set<string>();

  constructor(
    httpServer: HttpServer,
    calls: CallService,
    listen: ListenService,
    tags: TagService,
    kpi: KpiService,
    log: Logger,
  ) {
    this.#kpi = kpi;
    this.#calls = calls;
    this.#listen = listen;
    this.#tags = tags;
    this.#log = log;
    this.io = new Server(httpServer, {
      serveClient: false,
      maxHttpBufferSize: 64 * 1024,
      // NOTE: CORS is closed: a page from another origin may not open the console's socket.
      allowRequest: (req, callback) => {
        const origin = req.headers.origin;
        if (!origin) return callback(null, true);
        try {
          callback(null, new URL(origin).host === req.headers.host);
        } catch {
          callback(null, false);
        }
      },
    });
    calls.on('started', (call) => this.#upserts.set(call.id, call));
    calls.on('updated', (call) => this.#upserts.set(call.id, call));
    calls.on('ended', (call) => {
      this.#upserts.delete(call.id);
      this.#ended.add(call.id);
    });
    calls.on('levels', (levels) => this.#flush(levels));
    listen.on('presence', (callId, listeners) =>
      this.io.to(callRoom(callId)).emit('listeners:update', { callId, listeners }),
    );
    listen.on('ended', (listenerId, callId, reason) => {
      this.io.in(listenerId).socketsLeave(callRoom(callId));
      this.io.to(listenerId).emit('listen:ended', { callId, reason });
    });
    listen.on('restart', (listenerId, callId) =>
      this.io.to(listenerId).emit('listen:restart', { callId }),
    );
    // Broadcast after the ack: the service emits once the tag is stored.
    tags.on('created', (tag) => this.io.to(callRoom(tag.callId)).emit('tag:created', tag));
    tags.on('updated', (tag) => this.io.to(callRoom(tag.callId)).emit('tag:updated', tag));
    tags.on('deleted', (tag) =>
      this.io.to(callRoom(tag.callId)).emit('tag:deleted', { id: tag.id, callId: tag.callId }),
    );
    kpi.on('update', (update) =>
      this.io.to(kpiRoom(update.scope, update.window)).emit('kpi:update', update),
    );
    this.io.on('connection', (socket) => this.#connect(socket));
  }

  #connect(socket: EarshotSocket): void {
    const on = <S extends z.ZodType, T>(
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
          reply({ ok: true, data: await handler(socket, parsed.data) });
        } catch (error) {
          if (error instanceof AppError) {
            reply({ ok: false, error: { code: error.code, message: error.message } });
          } else {
            this.#log.error({ err: error, event }, 'socket handler failed');
            reply({ ok: false, error: { code: 'internal', message: 'internal error' } });
          }
        }
      });
    };

    on('board:subscribe', NoPayload, (s) => {
      void s.join(BOARD_ROOM);
      return { calls: this.#calls.list() };
    });
    on('board:unsubscribe', NoPayload, (s) => {
      void s.leave(BOARD_ROOM);
      return null;
    });
    on('session:hello', HelloRequest, (s, { name, consoleId }) =>
      this.#listen.hello(s.id, name, consoleId),
    );
    on('tag:create', SocketCreateTagRequest, (s, { callId, tag }) =>
      this.#tags.create(callId, tag, this.#listen.author(s.id)),
    );
    on('session:time', NoPayload, () => ({ now: Date.now() }));
    on('media:capabilities', NoPayload, () => ({ routerRtpCapabilities: ROUTER_RTP_CAPABILITIES }));
    on('listen:start', ListenStartRequest, async (s, { callId, rtpCapabilities }) => {
      const offer = await this.#listen.start(s.id, callId, rtpCapabilities as ms.RtpCapabilities);
      await s.join(callRoom(callId));
      // The newcomer learns who else is there; the others heard of it from the service.
      s.emit('listeners:update', { callId, listeners: this.#listen.listenersOf(callId) });
      return offer;
    });
    on('listen:connect', ListenConnectRequest, async (s, { callId, dtlsParameters }) => {
      await this.#listen.connect(s.id, callId, dtlsParameters as ms.DtlsParameters);
      return null;
    });
    on('listen:resume', ListenCallRequest, async (s, { callId }) => {
      await this.#listen.resume(s.id, callId);
      return null;
    });
    on('listen:stop', ListenCallRequest, async (s, { callId }) => {
      await s.leave(callRoom(callId));
      this.#listen.stop(s.id, callId);
      return null;
    });
    const followed = new Map<string, { scope: string; window: KpiWindow }>();
    on('kpi:subscribe', KpiSubscribeRequest, async (s, { scope, window }) => {
      const room = kpiRoom(scope, window);
      const snapshot = followed.has(room)
        ? await this.#kpi.metrics(scope, window)
        : await this.#kpi.subscribe(scope, window);
      followed.set(room, { scope, window });
      await s.join(room);
      return snapshot;
    });
    on('kpi:unsubscribe', KpiSubscribeRequest, async (s, { scope, window }) => {
      const room = kpiRoom(scope, window);
      if (followed.delete(room)) this.#kpi.unsubscribe(scope, window);
      await s.leave(room);
      return null;
    });
    socket.on('disconnect', () => {
      this.#listen.disconnect(socket.id);
      for (const { scope, window } of followed.values()) this.#kpi.unsubscribe(scope, window);
    });
    socket.on('error', (error) => this.#log.debug({ err: error }, 'socket error'));
  }

  /** Consoles on the live board now. */
  get boardViewers(): number {
    return this.io.sockets.adapter.rooms.get(BOARD_ROOM)?.size ?? 0;
  }

  #flush(levels: Map<string, [number, number]>): void {
    if (this.boardViewers === 0) {
      this.#upserts.clear();
      this.#ended.clear();
      return;
    }
    const update: BoardUpdate = {
      upserts: [...this.#upserts.values()],
      ended: [...this.#ended],
      levels: Object.fromEntries(levels),
    };
    this.#upserts = new Map();
    this.#ended = new Set();
    this.io.to(BOARD_ROOM).emit('board:update', update);
  }

  close(): Promise<void> {
    return new Promise((resolve) => void this.io.close(() => resolve()));
  }
}
