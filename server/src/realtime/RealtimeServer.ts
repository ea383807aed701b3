import type { Server as HttpServer } from 'node:http';
import type {
  Ack,
  BoardUpdate,
  Call,
  ClientToServerEvents,
  ServerToClientEvents,
} from '@earshot/shared';
import { Server } from 'socket.io';
import type { CallService } from '../calls/CallService.ts';
import type { Logger } from '../log/logger.ts';

const BOARD_ROOM = 'board';

/**
 * Socket.IO: translates socket events into domain calls and fans call changes out to
 * the board room, batched once per CallService tick.
 */
export class RealtimeServer {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents>;
  readonly #calls: CallService;
  #upserts = new Map<string, Call>();
  #ended = new Set<string>();

  constructor(httpServer: HttpServer, calls: CallService, log: Logger) {
    this.#calls = calls;
    this.io = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 64 * 1024 });
    calls.on('started', (call) => this.#upserts.set(call.id, call));
    calls.on('updated', (call) => this.#upserts.set(call.id, call));
    calls.on('ended', (call) => {
      this.#upserts.delete(call.id);
      this.#ended.add(call.id);
    });
    calls.on('levels', (levels) => this.#flush(levels));
    this.io.on('connection', (socket) => {
      const ackOf = <T>(ack: unknown): ((result: Ack<T>) => void) =>
        typeof ack === 'function' ? (ack as (result: Ack<T>) => void) : () => undefined;
      socket.on('board:subscribe', (_payload, ack) => {
        void socket.join(BOARD_ROOM);
        ackOf<{ calls: Call[] }>(ack)({ ok: true, data: { calls: this.#calls.list() } });
      });
      socket.on('board:unsubscribe', (_payload, ack) => {
        void socket.leave(BOARD_ROOM);
        ackOf<null>(ack)({ ok: true, data: null });
      });
      socket.on('error', (error) => log.debug({ err: error }, 'socket error'));
    });
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
