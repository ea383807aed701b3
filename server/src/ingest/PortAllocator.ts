import { createSocket, type Socket } from 'node:dgram';

/** Binds UDP sockets on free ports of a range, walking it round-robin. */
export class PortAllocator {
  readonly #ip: string;
  readonly #min: number;
  readonly #max: number;
  readonly #inUse = new Set<number>();
  #cursor: number;

  constructor(ip: string, min: number, max: number) {
    this.#ip = ip;
    this.#min = min;
    this.#max = max;
    this.#cursor = min;
  }

  /** A socket bound on a free port of the range; throws when the range is exhausted. */
  async bind(): Promise<Socket> {
    const size = this.#max - this.#min + 1;
    for (let tried = 0; tried < size; tried++) {
      const port = this.#cursor;
      this.#cursor = port === this.#max ? this.#min : port + 1;
      if (this.#inUse.has(port)) continue;
      const socket = await this.#tryBind(port);
      if (!socket) continue;
      this.#inUse.add(port);
      socket.once('close', () => this.#inUse.delete(port));
      return socket;
    }
    throw new Error(`no free UDP port in ${this.#ip}:${this.#min}-${this.#max}`);
  }

  #tryBind(port: number): Promise<Socket | undefined> {
    return new Promise((resolve) => {
      const socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
      const onError = () => {
        socket.close();
        resolve(undefined);
      };
      socket.once('error', onError);
      socket.bind({ port, address: this.#ip, exclusive: true }, () => {
        socket.off('error', onError);
        resolve(socket);
      });
    });
  }

  get inUse(): number {
    return this.#inUse.size;
  }
}
