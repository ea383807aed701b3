import type { BoardUpdate, Call } from '@earshot/shared';
import type { Access } from '../auth/Access.ts';
import { ForbiddenError } from '../errors.ts';
import type { ListenService } from '../listen/ListenService.ts';
import {
  NoPayload,
  type EarshotIo,
  type EarshotSocket,
  type SocketDomain,
} from '../realtime/socketKit.ts';
import type { CallService } from './CallService.ts';
import type { RemoteCalls } from './RemoteCalls.ts';

type Place = { team: string; center: string };
const boardRoom = (access: Access) => `board:${access.boardKey}`;
const leaveBoards = (socket: EarshotSocket) => {
  for (const room of socket.rooms) if (room.startsWith('board:')) void socket.leave(room);
};

/**
 * The live board: one room per kind of view (the same calls, the same masking), changes
 * batched once per CallService tick. A call that moves out of a view's reach (a transfer,
 * an assignment) leaves that board, and its listeners there stop hearing it. With several
 * nodes, the other nodes' calls come through `remote` and join the same batches: each
 * node sends its own consoles the whole floor.
 */
export class BoardFeed implements SocketDomain {
  readonly #io: EarshotIo;
  readonly #calls: CallService;
  readonly #remote: RemoteCalls | undefined;
  #upserts = new Map<string, Call>();
  #ended = new Map<string, Place>();
  /** Where each live call was last shown, and where calls that moved since were. */
  readonly #places = new Map<string, Place>();
  #moved = new Map<string, Place>();
  /** Board rooms and the access their members share. */
  readonly #boards = new Map<string, Access>();
  /** The other nodes' latest levels, sent with the next batch. */
  #remoteLevels = new Map<string, [number, number]>();

  constructor(
    io: EarshotIo,
    calls: CallService,
    listen: ListenService,
    remote: RemoteCalls | undefined,
  ) {
    this.#io = io;
    this.#calls = calls;
    this.#remote = remote;
    calls.on('started', (call) => {
      this.#places.set(call.id, { team: call.team, center: call.center });
      this.#upserts.set(call.id, call);
    });
    const updated = (call: Call) => {
      const before = this.#places.get(call.id);
      if (before && (before.team !== call.team || before.center !== call.center)) {
        this.#moved.set(call.id, before);
        listen.recheck(call.id);
      }
      this.#places.set(call.id, { team: call.team, center: call.center });
      this.#upserts.set(call.id, call);
    };
    const ended = (call: Call) => {
      this.#places.delete(call.id);
      this.#upserts.delete(call.id);
      this.#remoteLevels.delete(call.id);
      this.#ended.set(call.id, { team: call.team, center: call.center });
    };
    calls.on('updated', updated);
    calls.on('ended', ended);
    remote?.on('upserted', updated);
    remote?.on('ended', ended);
    remote?.on('levels', (levels) => {
      for (const [id, pair] of levels) this.#remoteLevels.set(id, pair);
    });
    calls.on('levels', (levels) => {
      for (const [id, pair] of this.#remoteLevels) levels.set(id, pair);
      this.#remoteLevels = new Map();
      this.#flush(levels);
    });
  }

  /** Where a live call of the floor is now. */
  #where(id: string): Place | undefined {
    return this.#calls.live(id)?.where ?? this.#remote?.get(id)?.call;
  }

  connect(_socket: EarshotSocket, on: Parameters<SocketDomain['connect']>[1]): void {
    on('board:subscribe', NoPayload, (s, _payload, { access }) => {
      if (!access.canListenAtAll) throw new ForbiddenError('your roles do not include live calls');
      leaveBoards(s);
      const room = boardRoom(access);
      this.#boards.set(room, access);
      void s.join(room);
      return {
        calls: this.#calls
          .floor()
          .filter((c) => access.canListen(c))
          .map((c) => access.present(c)),
      };
    });
    on('board:unsubscribe', NoPayload, (s) => {
      leaveBoards(s);
      return null;
    });
  }

  /** The board is rejoined with the new view (the console re-subscribes on session:changed). */
  rightsChanged(socket: EarshotSocket): void {
    leaveBoards(socket);
  }

  /** Consoles on the live board now. */
  get viewers(): number {
    let n = 0;
    for (const room of this.#boards.keys())
      n += this.#io.sockets.adapter.rooms.get(room)?.size ?? 0;
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
      if (!this.#io.sockets.adapter.rooms.get(room)?.size) {
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
                const where = this.#where(id);
                return where !== undefined && access.canListen(where);
              }),
        ),
      };
      this.#io.local.to(room).emit('board:update', update);
    }
  }
}
