import type { Ack, ClientToServerEvents, ServerToClientEvents } from '@earshot/shared';
import { io, type Socket } from 'socket.io-client';

export type ConsoleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The console's one Socket.IO connection (reconnects by itself). */
// NOTE: connected once signed in (the server refuses a socket without a session).
export const socket: ConsoleSocket = io({ transports: ['websocket'], autoConnect: false });

/** An error the server answered in an ack. */
export class RequestError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Emits `event` and resolves with the ack's data, or rejects with its error. */
export function request<T>(
  event: keyof ClientToServerEvents,
  payload: unknown,
  timeoutMs = 8000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    // NOTE: the event maps type each ack precisely; this one helper serves them all.
    const timed = socket.timeout(timeoutMs) as unknown as {
      emit(e: string, p: unknown, cb: (err: Error | null, result: Ack<T>) => void): void;
    };
    timed.emit(event, payload, (err, result) => {
      if (err) reject(new RequestError('timeout', `the server did not answer ${event}`));
      else if (result.ok) resolve(result.data);
      else reject(new RequestError(result.error.code, result.error.message));
    });
  });
}

type Status = 'connecting' | 'connected' | 'disconnected';
let status: Status = socket.connected ? 'connected' : 'connecting';
const statusListeners = new Set<() => void>();
const setStatus = (next: Status) => {
  status = next;
  statusListeners.forEach((l) => l());
};
socket.on('connect', () => setStatus('connected'));
socket.on('disconnect', () => setStatus('disconnected'));
socket.io.on('reconnect_attempt', () => setStatus('connecting'));

/** For useSyncExternalStore: the connection status. */
export const connectionStatus = {
  subscribe(listener: () => void) {
    statusListeners.add(listener);
    return () => statusListeners.delete(listener);
  },
  get: () => status,
};

// The server's clock, as seen from here: call time is the server's, and a tag must land
// on the moment heard, so the console keeps the offset between the two clocks.
let clockOffsetMs = 0;

async function syncClock(): Promise<void> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 5; i++) {
    const sent = Date.now();
    const { now } = await request<{ now: number }>('session:time', {});
    const received = Date.now();
    const rtt = received - sent;
    if (rtt < best.rtt) best = { rtt, offset: now - (sent + received) / 2 };
  }
  clockOffsetMs = best.offset;
}
socket.on('connect', () => void syncClock().catch(() => undefined));

/** The server's time now (ms since the epoch). */
export const serverNow = (): number => Date.now() + clockOffsetMs;
