import { EventEmitter } from 'node:events';
import { LEGS, type LegName } from '@earshot/shared';
import type { types as ms } from 'mediasoup';
import { ROUTER_CODECS } from './codecs.ts';

/** What listening needs of a call's media: a router and a producer per leg. */
export interface TapSource {
  readonly callId: string;
  readonly router: ms.Router;
  readonly legs: ReadonlyMap<LegName, { producer: ms.Producer }>;
}

/** Where one end of a pipe listens (the address the other node sends to). */
export interface PipeEnd {
  ip: string;
  port: number;
}

/** A leg as the owning node pipes it: what the receiving side produces from it. */
export interface PipedLeg {
  leg: LegName;
  producerId: string;
  rtpParameters: ms.RtpParameters;
  paused: boolean;
}

/** The address a pipe transport is reached at (its announced address when it has one). */
export const pipeEnd = (transport: ms.PipeTransport, announced: string | undefined): PipeEnd => ({
  ip: announced ?? transport.tuple.localAddress,
  port: transport.tuple.localPort,
});

export interface PipeListen {
  ip: string;
  announcedIp: string | undefined;
  portRange: { min: number; max: number };
}

/**
 * Another node's call, heard on this one: a router of this node's worker with a pipe
 * transport from the owning node's router, producing the call's two legs under their
 * own producer ids. Listeners of this node consume it like a call tapped here; the owning
 * node sends one stream per leg however many listen here.
 */
export class PipedTap extends EventEmitter<{ closed: [] }> implements TapSource {
  readonly callId: string;
  readonly router: ms.Router;
  readonly legs = new Map<LegName, { producer: ms.Producer }>();
  readonly #transport: ms.PipeTransport;
  #consumers = 0;
  #closed = false;

  private constructor(callId: string, router: ms.Router, transport: ms.PipeTransport) {
    super();
    this.callId = callId;
    this.router = router;
    this.#transport = transport;
    router.observer.once('close', () => this.close());
    router.observer.on('newtransport', (t) =>
      t.observer.on('newconsumer', (consumer) => {
        this.#consumers++;
        consumer.observer.once('close', () => this.#consumers--);
      }),
    );
  }

  /**
   * Opens the receiving end, asks the owner (`open`) to pipe the legs to it, then connects
   * to the owner's end and produces what it sends.
   */
  static async create(options: {
    worker: ms.Worker;
    callId: string;
    listen: PipeListen;
    open: (end: PipeEnd) => Promise<{ end: PipeEnd; legs: PipedLeg[] }>;
  }): Promise<PipedTap> {
    const router = await options.worker.createRouter({
      mediaCodecs: ROUTER_CODECS,
      appData: { callId: options.callId, piped: true },
    });
    try {
      const transport = await router.createPipeTransport({
        listenInfo: {
          protocol: 'udp',
          ip: options.listen.ip,
          ...(options.listen.announcedIp ? { announcedAddress: options.listen.announcedIp } : {}),
          portRange: options.listen.portRange,
        },
      });
      const tap = new PipedTap(options.callId, router, transport);
      const answer = await options.open(pipeEnd(transport, options.listen.announcedIp));
      await transport.connect({ ip: answer.end.ip, port: answer.end.port });
      for (const leg of LEGS) {
        const piped = answer.legs.find((l) => l.leg === leg);
        if (!piped) throw new Error(`the owning node piped no ${leg} leg`);
        const producer = await transport.produce({
          id: piped.producerId,
          kind: 'audio',
          rtpParameters: piped.rtpParameters,
          paused: piped.paused,
          appData: { leg },
        });
        tap.legs.set(leg, { producer });
      }
      return tap;
    } catch (error) {
      router.close();
      throw error;
    }
  }

  /** Consumers of this node hearing it now. */
  get consumers(): number {
    return this.#consumers;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the router and with it the pipe and every listener's transport. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#transport.closed) this.#transport.close();
    if (!this.router.closed) this.router.close();
    this.legs.clear();
    this.emit('closed');
  }
}
