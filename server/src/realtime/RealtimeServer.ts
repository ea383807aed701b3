import type { Server as HttpServer } from 'node:http';
import {
  fieldIssues,
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
import { outOfScope, type Access } from '../auth/Access.ts';
import { actorOf, type AuthService, type Principal } from '../auth/AuthService.ts';
import { assertMayFollow, mayFollow } from '../auth/kpiAccess.ts';
import type { CallService } from '../calls/CallService.ts';
import { AppError, ForbiddenError, UnauthorizedError } from '../errors.ts';
import { readCookie, sameOrigin, SESSION_COOKIE } from '../http/auth.ts';
import type { ListenService } from '../listen/ListenService.ts';
import type { KpiService } from '../kpi/KpiService.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { TagService } from '../tags/TagService.ts';
import type { Logger } from '../log/logger.ts';
import { ROUTER_RTP_CAPABILITIES } from '../media/codecs.ts';

/** Events that carry no data accept any object (or none). */
const NoPayload = z.looseObject({});
const callRoom = (callId: string) => `call:${callId}`;
const kpiRoom = (scope: string, window: string) => `kpi:${scope}|${window}`;
const boardRoom = (access: Access) => `board:${access.boardKey}`;

/** What the server keeps per socket: its session and what it follows. */
interface SocketData {
  token: string;
  principal: Principal;
  followed: Map<string, { scope: string; window: KpiWindow }>;
}

type EarshotSocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
type Handler<S extends z.ZodType, T> = (
  socket: EarshotSocket,
  payload: z.infer<S>,
  principal: Principal,
) => Promise<T> | T;

const mayHear = (principal: Principal) => (call: { team: string; center: string }) =>
  principal.access.canListen(call);

/**
 * Socket.IO: signed-in consoles only. Translates socket events into domain calls after
 * checking the session on every event, and fans changes out through rooms: one board room
 * per kind of view (the same calls, the same masking), batched once per CallService tick,
 * and one room per call for presence and tags.
 */
export class RealtimeServer {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
  readonly #calls: CallService;
  readonly #listen: ListenService;
  readonly #tags: TagService;
  readonly #kpi: KpiService;
  readonly #auth: AuthService;
  readonly #org: OrgRepository;
  readonly #log: Logger;
  #upserts = new Map<string, Call>();
  #ended = new Map<string, { team: string; center: string }>();
  /** Where each live call was last shown, and where calls that moved since were. */
  readonly #places = new Map<string, { team: string; center: string }>();
  #moved = new Map<string, { team: string; center: string }>();
  /** Board rooms and the access their members share. */
  readonly #boards = new Map<string, Access>();

  constructor(
    httpServer: HttpServer,
    calls: CallService,
    listen: ListenService,
    tags: TagService,
    kpi: KpiService,
    auth: AuthService,
    org: OrgRepository,
    log: Logger,
  ) {
    this.#kpi = kpi;
    this.#calls = calls;
    this.#listen = listen;
    this.#tags = tags;
    this.#auth = auth;
    this.#org = org;
    this.#log = log;
    this.io = new Server(httpServer, {
      serveClient: false,
      maxHttpBufferSize: 64 * 1024,
      // NOTE: CORS is closed: a page from another origin may not open the console's socket.
      allowRequest: (req, callback) => {
        const origin = req.headers.origin;
        callback(null, !origin || sameOrigin(origin, req.headers.host));
      },
    });
    this.io.use((socket, next) => {
      const token = readCookie(socket.request.headers.cookie, SESSION_COOKIE);
      auth
        .resolve(token)
        .then((principal) => {
          if (!principal || !token) return next(new Error('unauthorized'));
          socket.data = { token, principal, followed: new Map() };
          next();
        })
        .catch((error: unknown) => next(error as Error));
    });
    calls.on('started', (call) => {
      this.#places.set(call.id, { team: call.team, center: call.center });
      this.#upserts.set(call.id, call);
    });
    calls.on('updated', (call) => {
      const before = this.#places.get(call.id);
      if (before && (before.team !== call.team || before.center !== call.center)) {
        this.#moved.set(call.id, before);
        listen.recheck(call.id);
      }
      this.#places.set(call.id, { team: call.team, center: call.center });
      this.#upserts.set(call.id, call);
    });
    calls.on('ended', (call) => {
      this.#places.delete(call.id);
      this.#upserts.delete(call.id);
      this.#ended.set(call.id, { team: call.team, center: call.center });
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
    auth.on('changed', (userId) => void this.#rightsChanged(userId));
    auth.on('ended', (sessionHash, reason) => {
      for (const socket of this.io.sockets.sockets.values()) {
        if (socket.data.principal?.sessionHash !== sessionHash) continue;
        socket.emit('session:ended', { reason });
        socket.disconnect(true);
      }
    });
    this.io.on('connection', (socket) => this.#connect(socket));
  }

  /** A user's rights changed: each of their sockets keeps only what it may still have. */
  async #rightsChanged(userId: string): Promise<void> {
    for (const socket of this.io.sockets.sockets.values()) {
      if (socket.data.principal?.user.id !== userId) continue;
      const principal = await this.#auth.resolve(socket.data.token).catch(() => undefined);
      if (!principal) {
        this.#listen.disconnect(socket.id);
        socket.emit('session:ended', { reason: 'removed' });
        socket.disconnect(true);
        continue;
      }
      socket.data.principal = principal;
      this.#listen.reauthorize(socket.id, mayHear(principal));
      // The board is rejoined with the new view; KPI scopes no longer allowed are dropped.
      for (const room of socket.rooms) if (room.startsWith('board:')) void socket.leave(room);
      for (const [room, { scope, window }] of socket.data.followed) {
        if (await mayFollow(principal.access, scope, this.#org, this.#calls)) continue;
        socket.data.followed.delete(room);
        this.#kpi.unsubscribe(scope, window);
        void socket.leave(room);
      }
      socket.emit('session:changed');
    }
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

    const { principal } = socket.data;
    this.#listen.attach(socket.id, actorOf(principal), mayHear(principal));

    on('board:subscribe', NoPayload, (s, _payload, { access }) => {
      if (!access.canListenAtAll) throw new ForbiddenError('your roles do not include live calls');
      for (const room of s.rooms) if (room.startsWith('board:')) void s.leave(room);
      const room = boardRoom(access);
      this.#boards.set(room, access);
      void s.join(room);
      return {
        calls: this.#calls
          .list()
          .filter((c) => access.canListen(c))
          .map((c) => access.present(c)),
      };
    });
    on('board:unsubscribe', NoPayload, (s) => {
      for (const room of s.rooms) if (room.startsWith('board:')) void s.leave(room);
      return null;
    });
    on('session:hello', NoPayload, (s, _payload, p) => ({ id: s.id, name: p.user.name }));
    on('tag:create', SocketCreateTagRequest, async (_s, { callId, tag }, p) => {
      const call = await this.#calls.get(callId);
      if (!p.access.canSee(call)) throw outOfScope(call);
      return this.#tags.create(callId, tag, actorOf(p));
    });
    on('session:time', NoPayload, () => ({ now: Date.now() }));
    on('media:capabilities', NoPayload, () => ({ routerRtpCapabilities: ROUTER_RTP_CAPABILITIES }));
    on('listen:start', ListenStartRequest, async (s, { callId, rtpCapabilities }, p) => {
      this.#listen.reauthorize(s.id, mayHear(p));
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
    on('kpi:subscribe', KpiSubscribeRequest, async (s, { scope, window }, p) => {
      await assertMayFollow(p.access, scope, this.#org, this.#calls);
      const room = kpiRoom(scope, window);
      const { followed } = s.data;
      const snapshot = followed.has(room)
        ? await this.#kpi.metrics(scope, window)
        : await this.#kpi.subscribe(scope, window);
      followed.set(room, { scope, window });
      await s.join(room);
      return snapshot;
    });
    on('kpi:unsubscribe', KpiSubscribeRequest, async (s, { scope, window }) => {
      const room = kpiRoom(scope, window);
      if (s.data.followed.delete(room)) this.#kpi.unsubscribe(scope, window);
      await s.leave(room);
      return null;
    });
    socket.on('disconnect', () => {
      this.#listen.disconnect(socket.id);
      for (const { scope, window } of socket.data.followed.values())
        this.#kpi.unsubscribe(scope, window);
      socket.data.followed.clear();
    });
    socket.on('error', (error) => this.#log.debug({ err: error }, 'socket error'));
  }

  /** Consoles on the live board now. */
  get boardViewers(): number {
    let n = 0;
    for (const room of this.#boards.keys()) n += this.io.sockets.adapter.rooms.get(room)?.size ?? 0;
    return n;
  }

  #flush(levels: Map<string, [number, number]>): void {
    const upserts = [...this.#upserts.values()];
    const ended = [...this.#ended];
    const moved = [...this.#moved];
    this.#upserts = new Map();
    this.#ended = new Map();
    this.#moved = new Map();
    for (const [room, access] of this.#boards) {
      if (!this.io.sockets.adapter.rooms.get(room)?.size) {
        this.#boards.delete(room);
        continue;
      }
      const all = access.listen.kind === 'all';
      const update: BoardUpdate = {
        upserts: upserts.filter((c) => all || access.canListen(c)).map((c) => access.present(c)),
        ended: [
          ...ended.filter(([, place]) => all || access.canListen(place)).map(([id]) => id),
          // A call that moved out of this board's reach leaves it as if it had ended.
          ...moved
            .filter(
              ([id, place]) =>
                !all &&
                access.canListen(place) &&
                !upserts.some((c) => c.id === id && access.canListen(c)),
            )
            .map(([id]) => id),
        ],
        levels: Object.fromEntries(
          all
            ? levels
            : [...levels].filter(([id]) => {
                const call = this.#calls.live(id);
                return call !== undefined && access.canListen(call.where);
              }),
        ),
      };
      this.io.to(room).emit('board:update', update);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => void this.io.close(() => resolve()));
  }
}
