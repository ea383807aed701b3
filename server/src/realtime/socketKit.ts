// What every domain's socket handlers share: the socket's type and data, the event wrapper
// that validates payloads, checks the session and shapes acks, and the room names.
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, KpiWindow, ServerToClientEvents } from '@earshot/shared';
import { z } from 'zod';
import type { Principal } from '../auth/AuthService.ts';

/** What the server keeps per socket: its session and what it follows. */
export interface SocketData {
  token: string;
  principal: Principal;
  followed: Map<string, { scope: string; window: KpiWindow }>;
}

export type EarshotSocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
export type EarshotIo = Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>;

export type Handler<S extends z.ZodType, T> = (
  socket: EarshotSocket,
  payload: z.infer<S>,
  principal: Principal,
) => Promise<T> | T;

/** Registers one event: its payload parsed by `schema`, the session checked, the ack shaped. */
export type OnEvent = <S extends z.ZodType, T>(
  event: keyof ClientToServerEvents,
  schema: S,
  handler: Handler<S, T>,
) => void;

/** One domain's socket side: its handlers per socket, and what it does when rights change. */
export interface SocketDomain {
  connect(socket: EarshotSocket, on: OnEvent): void;
  /** The socket's user has new rights: keep only what they may still have. */
  rightsChanged?(socket: EarshotSocket, principal: Principal): Promise<void> | void;
  disconnect?(socket: EarshotSocket): void;
}

/** Events that carry no data accept any object (or none). */
export const NoPayload = z.looseObject({});
export const callRoom = (callId: string) => `call:${callId}`;

/** Whether a principal may hear a call placed in a team and center. */
export const mayHear = (principal: Principal) => (call: { team: string; center: string }) =>
  principal.access.canListen(call);
