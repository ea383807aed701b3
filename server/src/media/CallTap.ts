import { EventEmitter } from 'node:events';
import { LEGS, type Codec, type LegName } from '@earshot/shared';
import type { types as ms } from 'mediasoup';
import type { Logger } from '../log/logger.ts';
import { producerRtpParameters, ROUTER_CODECS } from './codecs.ts';

export interface TapLeg {
  transport: ms.PlainTransport;
  producer: ms.Producer;
}

export type TapCloseReason = 'closed' | 'worker-died';

/**
 * One call's media inside mediasoup: a router on one worker, and per leg a PlainTransport
 * (comedia: it learns the leg's ingest socket from the first packet) producing one audio
 * producer. Consumers of the legs (listeners) hang off `router`; while a leg has none, its
 * ingest front does not forward its packets (see LegIngest.setForwarding).
 */
export class CallTap extends EventEmitter<{
  closed: [reason: TapCloseReason];
  /** How many consumers a leg has now (listeners, whoever consumes it on the router). */
  consumers: [leg: LegName, count: number];
}> {
  readonly callId: string;
  readonly router: ms.Router;
  readonly workerPid: number;
  readonly legs = new Map<LegName, TapLeg>();
  readonly #consumers = new Map<LegName, number>();
  #closed = false;

  private constructor(callId: string, router: ms.Router, workerPid: number) {
    super();
    this.callId = callId;
    this.router = router;
    this.workerPid = workerPid;
    router.observer.on('newtransport', (transport) =>
      transport.observer.on('newconsumer', (consumer) => this.#count(consumer)),
    );
  }

  #count(consumer: ms.Consumer): void {
    const leg = [...this.legs].find(([, l]) => l.producer.id === consumer.producerId)?.[0];
    if (!leg) return;
    const change = (by: number) => {
      const count = (this.#consumers.get(leg) ?? 0) + by;
      this.#consumers.set(leg, count);
      if (!this.#closed) this.emit('consumers', leg, count);
    };
    change(1);
    consumer.observer.once('close', () => change(-1));
  }

  /** Consumers of `leg` now. */
  consumers(leg: LegName): number {
    return this.#consumers.get(leg) ?? 0;
  }

  static async create(options: {
    worker: ms.Worker;
    callId: string;
    codec: Codec;
    payloadType: number;
    ssrcs: Record<LegName, number>;
    listenIp: string;
    /** The ports mediasoup may take for the plain transports (its configured range). */
    portRange: { min: number; max: number };
    logger: Logger;
  }): Promise<CallTap> {
    const router = await options.worker.createRouter({
      mediaCodecs: ROUTER_CODECS,
      appData: { callId: options.callId },
    });
    const tap = new CallTap(options.callId, router, options.worker.pid);
    router.observer.once('close', () => tap.close(options.worker.died ? 'worker-died' : 'closed'));
    try {
      for (const leg of LEGS) {
        const transport = await router.createPlainTransport({
          listenInfo: { protocol: 'udp', ip: options.listenIp, portRange: options.portRange },
          rtcpMux: true,
          comedia: true,
          appData: { leg },
        });
        const producer = await transport.produce({
          kind: 'audio',
          rtpParameters: producerRtpParameters(
            options.codec,
            options.payloadType,
            options.ssrcs[leg],
          ),
          appData: { callId: options.callId, leg },
        });
        tap.legs.set(leg, { transport, producer });
        transport.observer.once('close', () => tap.legs.delete(leg));
      }
    } catch (error) {
      tap.close();
      throw error;
    }
    options.logger.debug({ callId: options.callId, workerPid: tap.workerPid }, 'call tapped');
    return tap;
  }

  /** The address a leg's ingest front sends its packets to. */
  target(leg: LegName): { ip: string; port: number } | undefined {
    const tuple = this.legs.get(leg)?.transport.tuple;
    return tuple ? { ip: tuple.localAddress, port: tuple.localPort } : undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the router (and with it every transport, producer and consumer). Idempotent. */
  close(reason: TapCloseReason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.router.closed) this.router.close();
    this.legs.clear();
    this.emit('closed', reason);
  }
}
