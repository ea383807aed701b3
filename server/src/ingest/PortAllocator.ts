import { randomInt } from 'node:crypto';
import { udpBinder, type UdpBinder, type UdpPort } from './udp.ts';

const SWEEP_MS = 1000;
// NOTE: tens of seconds of a leg: packets wait there while the console has the core.
const RECEIVE_BUFFER_BYTES = 1 << 20;

interface Quarantined {
  socket: UdpPort;
  lastDatagramAt: number;
}

/**
 * Binds UDP sockets on free ports of a range. Ports are drawn at random (the next call's
 * port cannot be predicted and sprayed before the call exists), and a port a call gave back
 * stays bound in quarantine, swallowing whatever still arrives for the old call, until it
 * has been quiet for `quarantineMs`: a new call never takes in another call's stream.
 */
export class PortAllocator {
  readonly #ip: string;
  readonly #min: number;
  readonly #max: number;
  readonly #quarantineMs: number;
  /** Ports of live calls, with their socket (null while it is being bound). */
  readonly #inUse = new Map<number, UdpPort | null>();
  readonly #quarantine = new Map<number, Quarantined>();
  readonly #sweep: NodeJS.Timeout;
  readonly #udp: UdpBinder;
  #strays = 0;
  #closed = false;

  constructor(
    ip: string,
    min: number,
    max: number,
    options: { quarantineMs: number; udp?: UdpBinder },
  ) {
    this.#udp = options.udp ?? udpBinder();
    this.#ip = ip;
    this.#min = min;
    this.#max = max;
    this.#quarantineMs = options.quarantineMs;
    this.#sweep = setInterval(() => this.#release(Date.now()), SWEEP_MS);
    this.#sweep.unref();
  }

  /** A socket bound on a free port of the range, at random; throws when none is free. */
  async bind(port?: number): Promise<UdpPort> {
    if (this.#closed) throw new Error('the port allocator is closed');
    if (port !== undefined) {
      // NOTE: a leg opened again where it was (its media thread died): that port or none.
      const socket = port >= this.#min && port <= this.#max ? await this.#claim(port) : undefined;
      if (!socket) throw new Error(`UDP port ${this.#ip}:${port} cannot be bound again`);
      return socket;
    }
    const size = this.#max - this.#min + 1;
    // Random draws first; when the range is crowded, one walk from a random place.
    const draws = Math.min(32, size);
    for (let i = 0; i < draws; i++) {
      const socket = await this.#claim(this.#min + randomInt(size));
      if (socket) return socket;
    }
    const start = randomInt(size);
    for (let i = 0; i < size; i++) {
      const socket = await this.#claim(this.#min + ((start + i) % size));
      if (socket) return socket;
    }
    throw new Error(
      `no free UDP port in ${this.#ip}:${this.#min}-${this.#max} ` +
        `(${this.#inUse.size} in use, ${this.#quarantine.size} in quarantine)`,
    );
  }

  async #claim(port: number): Promise<UdpPort | undefined> {
    if (this.#inUse.has(port) || this.#quarantine.has(port)) return undefined;
    // Reserve before the await, so two binds racing never pick the same port.
    this.#inUse.set(port, null);
    const socket = await this.#tryBind(port);
    if (!socket) {
      this.#inUse.delete(port);
      return undefined;
    }
    this.#inUse.set(port, socket);
    return socket;
  }

  /**
   * Takes back a call's socket: it stays bound, in quarantine, until no datagram has come
   * for `quarantineMs`; what arrives meanwhile is counted as strays and thrown away.
   */
  release(socket: UdpPort): void {
    const port = socket.port;
    if (this.#inUse.get(port) !== socket) return; // already released
    socket.receive(undefined);
    this.#inUse.delete(port);
    if (this.#closed || this.#quarantineMs === 0) {
      socket.close();
      return;
    }
    this.#hold(port, socket);
  }

  /**
   * Puts ports a previous process handed out into quarantine (their SBC may still be
   * sending); ports that cannot be bound (taken by someone else) are left alone.
   */
  async quarantine(ports: Iterable<number>): Promise<number> {
    let held = 0;
    for (const port of new Set(ports)) {
      if (port < this.#min || port > this.#max) continue;
      if (this.#inUse.has(port) || this.#quarantine.has(port)) continue;
      const socket = await this.#tryBind(port);
      if (!socket) continue;
      this.#hold(port, socket);
      held++;
    }
    return held;
  }

  #hold(port: number, socket: UdpPort): void {
    const entry: Quarantined = { socket, lastDatagramAt: Date.now() };
    socket.receive(() => {
      this.#strays++;
      entry.lastDatagramAt = Date.now();
    });
    this.#quarantine.set(port, entry);
  }

  #release(now: number): void {
    for (const [port, entry] of this.#quarantine) {
      if (now - entry.lastDatagramAt < this.#quarantineMs) continue;
      this.#quarantine.delete(port);
      entry.socket.close();
    }
  }

  #tryBind(port: number): Promise<UdpPort | undefined> {
    return this.#udp.bind(this.#ip, port, RECEIVE_BUFFER_BYTES);
  }

  /** Ports handed to live calls. */
  get inUse(): number {
    return this.#inUse.size;
  }

  /** Ports held in quarantine now. */
  get quarantined(): number {
    return this.#quarantine.size;
  }

  /** Whether `port` is in quarantine now. */
  isQuarantined(port: number): boolean {
    return this.#quarantine.has(port);
  }

  /** Datagrams that arrived on quarantined ports (streams of calls that are over). */
  get strays(): number {
    return this.#strays;
  }

  /** Closes the quarantine; sockets of live calls are closed by their calls. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const entry of this.#quarantine.values()) entry.socket.close();
    this.#quarantine.clear();
  }
}
