import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from '../../../log/logger.ts';
import {
  declaredLength,
  headerEnd,
  parseHead,
  parseSipMessage,
  SIP_LIMITS,
  SipParseError,
  type SipMessage,
} from './message.ts';

export type SipTransportName = 'udp' | 'tcp';

export interface SipListen {
  transport: SipTransportName;
  host: string;
  port: number;
}

/** Who sent a message, and how to answer on the same path. */
export interface SipPeer {
  transport: SipTransportName;
  address: string;
  port: number;
  /** The local address and port the message arrived on. */
  local: { address: string; port: number };
  send(data: Buffer): void;
  /** Over UDP, a datagram to another port or address (responses per Via, BYE to Contact). */
  sendTo(data: Buffer, address: string, port: number): void;
}

const MAX_TCP_CONNECTIONS = 512;
const TCP_IDLE_MS = 10 * 60_000;

/**
 * SIP over UDP and TCP (RFC 3261 section 18): datagrams are one message each; TCP streams
 * are cut into messages by Content-Length (required there), with CRLF keep-alives answered.
 * What cannot be read is reported as `invalid` with whatever headers could be read, so that
 * the server can answer 400; nothing else reaches the SIP layer.
 */
export class SipTransport extends EventEmitter<{
  message: [message: SipMessage, peer: SipPeer];
  invalid: [error: SipParseError, head: ReturnType<typeof parseHead> | undefined, peer: SipPeer];
}> {
  readonly #udp: UdpSocket[] = [];
  readonly #tcp: Server[] = [];
  readonly #connections = new Set<Socket>();
  readonly #log: Logger;
  #closed = false;

  private constructor(log: Logger) {
    super();
    this.#log = log;
  }

  static async listen(endpoints: SipListen[], logger: Logger): Promise<SipTransport> {
    const t = new SipTransport(logger);
    try {
      for (const e of endpoints) {
        if (e.transport === 'udp') await t.#listenUdp(e);
        else await t.#listenTcp(e);
      }
    } catch (error) {
      t.close();
      throw error;
    }
    return t;
  }

  /** Where the transport listens (the real ports when 0 was asked for). */
  addresses(): SipListen[] {
    return [
      ...this.#udp.map((s) => ({ transport: 'udp' as const, ...hostPort(s.address()) })),
      ...this.#tcp.map((s) => ({
        transport: 'tcp' as const,
        ...hostPort(s.address() as AddressInfo),
      })),
    ];
  }

  /** Sends a datagram from the first UDP listener (requests Earshot starts, such as BYE). */
  sendUdp(data: Buffer, address: string, port: number): void {
    this.#udp[0]?.send(data, port, address);
  }

  async #listenUdp(e: SipListen): Promise<void> {
    const socket = createSocket({ type: e.host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(e.port, e.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (error) => this.#log.warn({ err: error }, 'SIP UDP socket error'));
    const local = hostPort(socket.address());
    socket.on('message', (data, rinfo) => {
      const peer: SipPeer = {
        transport: 'udp',
        address: rinfo.address,
        port: rinfo.port,
        local: { address: local.host, port: local.port },
        send: (out) => socket.send(out, rinfo.port, rinfo.address),
        sendTo: (out, address, port) => socket.send(out, port, address),
      };
      // RFC 5626 keep-alive: a bare CRLF (or two) gets nothing back over UDP but costs nothing.
      if (data.length <= 4 && data.toString('latin1').trim() === '') return;
      this.#deliver(data, peer);
    });
    this.#udp.push(socket);
  }

  async #listenTcp(e: SipListen): Promise<void> {
    const server = createServer((socket) => this.#accept(socket));
    server.maxConnections = MAX_TCP_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(e.port, e.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.#log.warn({ err: error }, 'SIP TCP listener error'));
    this.#tcp.push(server);
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#connections.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.#connections.delete(socket));
    socket.on('error', () => socket.destroy());
    const peer: SipPeer = {
      transport: 'tcp',
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      local: { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
      send: (out) => {
        if (!socket.destroyed) socket.write(out);
      },
      // A stream answers on itself, whatever the headers say.
      sendTo: (out) => {
        if (!socket.destroyed) socket.write(out);
      },
    };
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        // Keep-alives between messages: CRLFCRLF gets CRLF back (RFC 5626 3.5.1).
        let skip = 0;
        while (skip < pending.length && (pending[skip] === 0x0d || pending[skip] === 0x0a)) skip++;
        if (skip > 0) {
          if (skip >= 4) peer.send(Buffer.from('\r\n'));
          pending = pending.subarray(skip);
        }
        if (pending.length === 0) return;
        const end = headerEnd(pending);
        if (!end) {
          if (pending.length > SIP_LIMITS.headerBytes)
            this.#fail(socket, peer, 'headers too large');
          return;
        }
        if (end.at > SIP_LIMITS.headerBytes) return this.#fail(socket, peer, 'headers too large');
        let length: number | undefined;
        let head: ReturnType<typeof parseHead> | undefined;
        try {
          head = parseHead(pending.subarray(0, end.at).toString('utf8'));
          length = declaredLength(head.headers);
          // NOTE: over a stream Content-Length is mandatory (RFC 3261 18.3); without it
          // the message's end cannot be known, so it is taken as having no body.
        } catch (error) {
          if (!(error instanceof SipParseError)) throw error;
          this.emit('invalid', error, head, peer);
          socket.destroy();
          return;
        }
        const total = end.at + end.length + (length ?? 0);
        if (total > SIP_LIMITS.messageBytes) return this.#fail(socket, peer, 'message too large');
        if (pending.length < total) return;
        const message = pending.subarray(0, total);
        pending = pending.subarray(total);
        this.#deliver(Buffer.from(message), peer);
        if (socket.destroyed) return;
      }
    });
  }

  #fail(socket: Socket, peer: SipPeer, reason: string): void {
    this.emit('invalid', new SipParseError(400, reason), undefined, peer);
    socket.destroy();
  }

  #deliver(data: Buffer, peer: SipPeer): void {
    let message: SipMessage;
    try {
      message = parseSipMessage(data);
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      let head: ReturnType<typeof parseHead> | undefined;
      try {
        const end = headerEnd(data);
        if (end && end.at <= SIP_LIMITS.headerBytes)
          head = parseHead(data.subarray(0, end.at).toString('utf8'));
      } catch {
        head = undefined;
      }
      this.emit('invalid', error, head, peer);
      return;
    }
    this.emit('message', message, peer);
  }

  /** Stops listening and drops every connection. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#udp) s.close();
    for (const s of this.#tcp) s.close();
    for (const c of this.#connections) c.destroy();
    this.#connections.clear();
  }
}

function hostPort(a: AddressInfo): { host: string; port: number } {
  return { host: a.address, port: a.port };
}
