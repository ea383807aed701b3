import { ListenCallRequest, ListenConnectRequest, ListenStartRequest } from '@earshot/shared';
import type { types as ms } from 'mediasoup';
import { actorOf, type Principal } from '../auth/AuthService.ts';
import { ROUTER_RTP_CAPABILITIES } from '../media/codecs.ts';
import {
  callRoom,
  mayHear,
  NoPayload,
  type EarshotIo,
  type EarshotSocket,
  type OnEvent,
  type SocketDomain,
} from '../realtime/socketKit.ts';
import type { ListenService } from './ListenService.ts';

/** Listening over the socket: the WebRTC handshake, presence per call, rights withdrawn. */
export class ListenSocket implements SocketDomain {
  readonly #listen: ListenService;

  constructor(io: EarshotIo, listen: ListenService) {
    this.#listen = listen;
    listen.on('presence', (callId, listeners) =>
      io.local.to(callRoom(callId)).emit('listeners:update', { callId, listeners }),
    );
    listen.on('ended', (listenerId, callId, reason) => {
      io.local.in(listenerId).socketsLeave(callRoom(callId));
      io.local.to(listenerId).emit('listen:ended', { callId, reason });
    });
    listen.on('restart', (listenerId, callId) =>
      io.local.to(listenerId).emit('listen:restart', { callId }),
    );
  }

  connect(socket: EarshotSocket, on: OnEvent): void {
    const { principal } = socket.data;
    this.#listen.attach(socket.id, actorOf(principal), mayHear(principal));
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
  }

  rightsChanged(socket: EarshotSocket, principal: Principal): void {
    this.#listen.reauthorize(socket.id, mayHear(principal));
  }

  disconnect(socket: EarshotSocket): void {
    this.#listen.disconnect(socket.id);
  }
}
