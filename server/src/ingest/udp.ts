import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * One datagram: its bytes (valid only during the call: copy what is kept), its sender, and
 * when it reached this host (ms since the epoch: the kernel's receive time with udpmux, so
 * that a datagram that waited in its socket while the thread was held up keeps its time;
 * with dgram, when it was read). Bytes may be rewritten in place and sent on from within
 * the call.
 */
export type DatagramHandler = (
  msg: Buffer,
  address: string,
  port: number,
  arrivedAt: number,
) => void;

/** Where a port sends: an IPv4 address, parsed once. */
export interface UdpTarget {
  readonly ip: string;
  readonly port: number;
  readonly ipv4: number;
}

/** A bound UDP port. */
export interface UdpPort {
  readonly port: number;
  /** Every datagram from now on goes to `handler`; none: they are read and thrown away. */
  receive(handler: DatagramHandler | undefined): void;
  /**
   * Sends without waiting; false when the kernel would not take the datagram now. With
   * udpmux, a datagram of the batch being handled (rewritten in place or not) is sent once
   * the batch is handled, with all the others sent meanwhile, in one system call: true then
   * means queued, and what the kernel refuses is counted in the binder's `unsent()`.
   */
  send(bytes: Uint8Array, to: UdpTarget): boolean;
  close(): void;
}

/** Binds UDP ports of one thread. */
export interface UdpBinder {
  /** `node:dgram`, one callback a datagram; or `udpmux`, the native batch reader. */
  readonly kind: 'dgram' | 'udpmux';
  /** A port bound exclusively on `ip`, or nothing where it is taken. */
  bind(ip: string, port: number, receiveBufferBytes: number): Promise<UdpPort | undefined>;
  /** Datagrams sent after their batch that the kernel did not take (udpmux; dgram: 0). */
  unsent(): number;
  /** Closes every port it bound. */
  close(): void;
}

export function udpTarget(ip: string, port: number): UdpTarget {
  const parts = ip.split('.');
  const octets = parts.map(Number);
  if (parts.length !== 4 || octets.some((o, i) => !/^\d{1,3}$/.test(parts[i]!) || o > 255))
    throw new Error(`not an IPv4 address: ${ip}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a port: ${port}`);
  const ipv4 = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  return { ip, port, ipv4 };
}

class DgramPort implements UdpPort {
  readonly port: number;
  readonly #socket: Socket;
  readonly #onClose: () => void;
  #handler: DatagramHandler | undefined;

  constructor(socket: Socket, onClose: () => void) {
    this.#socket = socket;
    this.#onClose = onClose;
    this.port = socket.address().port;
    socket.on('message', (msg, rinfo) =>
      this.#handler?.(msg, rinfo.address, rinfo.port, Date.now()),
    );
  }

  receive(handler: DatagramHandler | undefined): void {
    this.#handler = handler;
  }

  send(bytes: Uint8Array, to: UdpTarget): boolean {
    this.#socket.send(bytes, to.port, to.ip);
    return true;
  }

  close(): void {
    this.#onClose();
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
  }
}

function dgramBinder(): UdpBinder {
  const open = new Set<DgramPort>();
  return {
    kind: 'dgram',
    bind: (ip, port, receiveBufferBytes) =>
      new Promise((resolve) => {
        const socket = createSocket({ type: 'udp4', recvBufferSize: receiveBufferBytes });
        const onError = () => {
          socket.close();
          resolve(undefined);
        };
        socket.once('error', onError);
        socket.bind({ port, address: ip, exclusive: true }, () => {
          socket.off('error', onError);
          socket.on('error', () => undefined);
          const bound: DgramPort = new DgramPort(socket, () => open.delete(bound));
          open.add(bound);
          resolve(bound);
        });
      }),
    unsent: () => 0,
    close: () => {
      for (const bound of [...open]) bound.close();
    },
  };
}

interface NativeMux {
  readonly data: Uint8Array;
  readonly meta: Int32Array;
  readonly times: Float64Array;
  bind(ip: string, port: number, receiveBufferBytes: number): number;
  port(id: number): number;
  send(id: number, bytes: Uint8Array, ipv4: number, port: number): number;
  queue(id: number, offset: number, length: number, ipv4: number, port: number): boolean;
  unsent(): number;
  close(id: number): void;
  destroy(): void;
}

interface NativeModule {
  Mux: new (onBatch: (count: number) => void) => NativeMux;
  SLOT: number;
  schedIdle: SchedIdle;
}

/** Where the set-up builds the native reader (`scripts/setup/native.mjs`). */
export const UDPMUX_PATH = fileURLToPath(
  new URL('../../native/build/udpmux.node', import.meta.url),
);

let loaded: NativeModule | null | undefined;

/** The native reader, or null where it was not built (another platform, no compiler). */
function loadMux(): NativeModule | null {
  if (loaded === undefined) {
    loaded =
      process.platform === 'linux' && existsSync(UDPMUX_PATH)
        ? (createRequire(import.meta.url)(UDPMUX_PATH) as NativeModule)
        : null;
  }
  return loaded;
}

// NOTE: senders are few (an SBC's media addresses): their strings are made once.
const MAX_ADDRESSES = 4096;

/** How long, once a batch, its oldest datagram waited in its socket (ms), and the time. */
export type BatchWatcher = (waitedMs: number, now: number) => void;

function muxBinder(native: NativeModule, watch: BatchWatcher | undefined): UdpBinder {
  const handlers: (DatagramHandler | undefined)[] = [];
  const addresses = new Map<number, string>();
  const addressOf = (ipv4: number): string => {
    let text = addresses.get(ipv4);
    if (text === undefined) {
      if (addresses.size >= MAX_ADDRESSES) addresses.clear();
      text = `${ipv4 >>> 24}.${(ipv4 >>> 16) & 0xff}.${(ipv4 >>> 8) & 0xff}.${ipv4 & 0xff}`;
      addresses.set(ipv4, text);
    }
    return text;
  };
  const empty = Buffer.alloc(0);
  let closed = false;
  let unsentAtClose = 0;
  const mux: NativeMux = new native.Mux((count) => {
    const { meta, data, times } = mux;
    let oldest = Infinity;
    for (let i = 0; i < count; i++) {
      if (watch && times[i]! < oldest) oldest = times[i]!;
      const at = i * 4;
      const handler = handlers[meta[at]!];
      if (!handler) continue;
      const length = meta[at + 1]!;
      // NOTE: a datagram longer than a slot was not read: it reaches the leg as nothing.
      const msg = length < 0 ? empty : Buffer.from(data.buffer, i * native.SLOT, length);
      handler(msg, addressOf(meta[at + 2]! >>> 0), meta[at + 3]!, times[i]!);
    }
    if (watch && count > 0) {
      const now = Date.now();
      watch(now - oldest, now);
    }
  });
  const noop: DatagramHandler = () => undefined;
  return {
    kind: 'udpmux',
    bind: async (ip, port, receiveBufferBytes) => {
      if (closed) return undefined;
      let id: number;
      try {
        id = mux.bind(ip, port, receiveBufferBytes);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return undefined;
        throw error;
      }
      handlers[id] = noop;
      let open = true;
      return {
        port: mux.port(id),
        receive: (handler) => {
          if (open) handlers[id] = handler ?? noop;
        },
        // NOTE: the mux queues only while a batch is handled (false otherwise): then sent now.
        send: (bytes, to) =>
          open &&
          ((bytes.buffer === mux.data.buffer &&
            mux.queue(id, bytes.byteOffset, bytes.byteLength, to.ipv4, to.port)) ||
            mux.send(id, bytes, to.ipv4, to.port) >= 0),
        close: () => {
          if (!open) return;
          open = false;
          handlers[id] = undefined;
          if (!closed) mux.close(id);
        },
      };
    },
    unsent: () => (closed ? unsentAtClose : mux.unsent()),
    close: () => {
      if (closed) return;
      closed = true;
      handlers.length = 0;
      unsentAtClose = mux.unsent();
      mux.destroy();
    },
  };
}

/** `EARSHOT_RTP_READER`: a reader by name, or `auto` (the native one where it is built). */
export type UdpReaderChoice = UdpBinder['kind'] | 'auto';

/** The reader `choice` means here; throws where it asks for a native reader not built. */
export function resolveUdpReader(choice: UdpReaderChoice): UdpBinder['kind'] {
  if (choice === 'dgram') return 'dgram';
  if (loadMux()) return 'udpmux';
  if (choice === 'udpmux')
    throw new Error(
      `EARSHOT_RTP_READER=udpmux, but the native UDP reader is not built (${UDPMUX_PATH}); ` +
        'run the set-up (npm start or npm test builds it) or choose dgram',
    );
  return 'dgram';
}

/**
 * A binder of the reader `choice` means (see `resolveUdpReader`); `watch` hears, once a batch,
 * how long its oldest datagram waited (udpmux only: dgram knows no receive time).
 */
export function udpBinder(choice: UdpReaderChoice = 'auto', watch?: BatchWatcher): UdpBinder {
  return resolveUdpReader(choice) === 'udpmux' ? muxBinder(loadMux()!, watch) : dgramBinder();
}

/** Puts the calling thread under SCHED_IDLE (true) or back; 0, or the errno. */
export type SchedIdle = (on: boolean) => number;

/** The native call that puts the calling thread under SCHED_IDLE, where udpmux is built. */
export function nativeSchedIdle(): SchedIdle | undefined {
  return loadMux()?.schedIdle;
}
