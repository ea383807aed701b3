// What the WebSocket ingest endpoints (AudioHook, Twilio) share at the upgrade.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData } from 'ws';

/** The hard ceiling on one WebSocket message; each protocol checks its own lower limit. */
export const MAX_WS_MESSAGE_BYTES = 1024 * 1024;

/** A `ws` server for upgrades we accept ourselves, after our own checks. */
export const upgradeServer = () =>
  new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_MESSAGE_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });

/** Refuses an upgrade with an HTTP status and a JSON error; no WebSocket is made. */
export function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason =
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' }[
      status
    ] ?? 'Error';
  if (socket.writable)
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy();
}

/**
 * The address the outside world used: EARSHOT_PUBLIC_URL where Earshot sits behind a
 * proxy, else the request's own Host. Signatures cover these, so they must be the
 * client's view, not ours.
 */
export function outsideView(
  req: IncomingMessage,
  publicUrl: URL | undefined,
): { authority: string; requestTarget: string; url: string } {
  const path = req.url ?? '/';
  if (publicUrl) {
    const prefix = publicUrl.pathname.replace(/\/+$/, '');
    const requestTarget = prefix && !path.startsWith(`${prefix}/`) ? `${prefix}${path}` : path;
    const scheme = publicUrl.protocol === 'https:' || publicUrl.protocol === 'wss:' ? 'wss' : 'ws';
    return {
      authority: publicUrl.host,
      requestTarget,
      url: `${scheme}://${publicUrl.host}${requestTarget}`,
    };
  }
  const host = req.headers.host ?? '';
  return { authority: host, requestTarget: path, url: `ws://${host}${path}` };
}

/** A message's bytes as `ws` hands them (a Buffer, unless fragmented), copied only if it must. */
export function messageBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
