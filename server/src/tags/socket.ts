import { SocketCreateTagRequest } from '@earshot/shared';
import { outOfScope } from '../auth/Access.ts';
import { actorOf } from '../auth/AuthService.ts';
import type { CallService } from '../calls/CallService.ts';
import {
  callRoom,
  type EarshotIo,
  type OnEvent,
  type SocketDomain,
} from '../realtime/socketKit.ts';
import type { TagService } from './TagService.ts';

/** Live tags: made from a listening strip, seen at once by the call's other listeners. */
export class TagSocket implements SocketDomain {
  readonly #tags: TagService;
  readonly #calls: CallService;

  constructor(io: EarshotIo, tags: TagService, calls: CallService) {
    this.#tags = tags;
    this.#calls = calls;
    // Broadcast after the ack: the service emits once the tag is stored.
    tags.on('created', (tag) => io.to(callRoom(tag.callId)).emit('tag:created', tag));
    tags.on('updated', (tag) => io.to(callRoom(tag.callId)).emit('tag:updated', tag));
    tags.on('deleted', (tag) =>
      io.to(callRoom(tag.callId)).emit('tag:deleted', { id: tag.id, callId: tag.callId }),
    );
  }

  connect(_socket: unknown, on: OnEvent): void {
    on('tag:create', SocketCreateTagRequest, async (_s, { callId, tag }, p) => {
      const call = await this.#calls.get(callId);
      if (!p.access.canSee(call)) throw outOfScope(call);
      return this.#tags.create(callId, tag, actorOf(p));
    });
  }
}
