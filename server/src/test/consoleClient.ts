// A console as the server sees it: a real Socket.IO client, and the listening handshake.
import type { Ack, ClientToServerEvents, ListenOffer, ServerToClientEvents } from '@earshot/shared';
import { io, type Socket } from 'socket.io-client';

export type ConsoleClient = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Emits `event` and resolves with its ack. */
export function ask<T>(
  client: ConsoleClient,
  event: keyof ClientToServerEvents,
  payload: unknown,
): Promise<Ack<T>> {
  return new Promise((resolve) =>
    (client.emit as (e: string, p: unknown, a: (r: Ack<T>) => void) => void)(
      event,
      payload,
      resolve,
    ),
  );
}

/** Connects a console with a session cookie (`name=value`); the caller closes it. */
export async function connectConsole(url: string, cookie: string): Promise<ConsoleClient> {
  const client: ConsoleClient = io(url, {
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: { cookie },
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', (error) => {
      client.close();
      reject(error);
    });
  });
  return client;
}

/** The router RTP capabilities, standing in for a browser's. */
export async function capabilities(client: ConsoleClient): Promise<unknown> {
  const res = await ask<{ routerRtpCapabilities: unknown }>(client, 'media:capabilities', {});
  if (!res.ok) throw new Error(res.error.message);
  return res.data.routerRtpCapabilities;
}

/** Starts listening to a call; throws with the server's error when refused. */
export async function startListening(client: ConsoleClient, callId: string): Promise<ListenOffer> {
  const res = await ask<ListenOffer>(client, 'listen:start', {
    callId,
    rtpCapabilities: await capabilities(client),
  });
  if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`);
  return res.data;
}
