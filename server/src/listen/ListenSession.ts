import { EventEmitter } from 'node:events';
import { LEGS, type LegName, type ListenOffer } from '@earshot/shared';
import type { types as ms } from 'mediasoup';
import { AppError } from '../errors.ts';
import type { TapSource } from '../media/PipedTap.ts';

export interface WebRtcListenConfig {
  listenIp: string;
  announcedIp: string | undefined;
  minPort: number;
  maxPort: number;
}

/**
 * A listener's capabilities less transport-wide congestion control: a receive-only G.711
 * or Opus call gains nothing from a bandwidth estimate, and it costs the worker on every
 * packet it sends (a sequence number each, feedback to process, the estimator to run).
 */
function withoutCongestionControl(caps: ms.RtpCapabilities): ms.RtpCapabilities {
  return {
    ...caps,
    codecs: caps.codecs?.map((codec) => ({
      ...codec,
      rtcpFeedback: codec.rtcpFeedback?.filter((fb) => fb.type !== 'transport-cc'),
    })),
    headerExtensions: caps.headerExtensions?.filter(
      (ext) => !ext.uri.includes('transport-wide-cc'),
    ),
  };
}

/**
 * One console receiving one call: a WebRTC receive transport on the call's router and a
 * consumer per leg, created paused and resumed when the console says it is ready.
 * Nothing is ever produced on it: the console can hear the call, never speak into it.
 */
export class ListenSession extends EventEmitter<{ closed: [] }> {
  readonly callId: string;
  readonly transport: ms.WebRtcTransport;
  readonly consumers = new Map<LegName, ms.Consumer>();
  #closed = false;

  private constructor(callId: string, transport: ms.WebRtcTransport) {
    super();
    this.callId = callId;
    this.transport = transport;
    transport.observer.once('close', () => this.close());
  }

  static async create(options: {
    tap: TapSource;
    rtpCapabilities: ms.RtpCapabilities;
    webRtc: WebRtcListenConfig;
    listenerId: string;
  }): Promise<ListenSession> {
    const { tap, rtpCapabilities, webRtc } = options;
    for (const leg of LEGS) {
      const producer = tap.legs.get(leg)?.producer;
      if (!producer)
        throw new AppError('unavailable', 503, 'the call is being re-tapped; try again');
      if (!tap.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
        throw new AppError(
          'bad_request',
          400,
          `this browser cannot decode the call's ${leg} leg codec`,
        );
      }
    }
    const listenInfo = {
      ip: webRtc.listenIp,
      ...(webRtc.announcedIp ? { announcedAddress: webRtc.announcedIp } : {}),
      portRange: { min: webRtc.minPort, max: webRtc.maxPort },
    };
    const transport = await tap.router.createWebRtcTransport({
      listenInfos: [
        { protocol: 'udp', ...listenInfo },
        { protocol: 'tcp', ...listenInfo },
      ],
      preferUdp: true,
      appData: { callId: tap.callId, listenerId: options.listenerId },
    });
    const session = new ListenSession(tap.callId, transport);
    try {
      // NOTE: both legs' consumers asked of the worker at once: one round trip, not two.
      const capabilities = withoutCongestionControl(rtpCapabilities);
      const consumers = await Promise.allSettled(
        LEGS.map((leg) =>
          transport.consume({
            producerId: tap.legs.get(leg)!.producer.id,
            rtpCapabilities: capabilities,
            paused: true,
            appData: { leg },
          }),
        ),
      );
      for (const [i, leg] of LEGS.entries()) {
        const result = consumers[i]!;
        if (result.status === 'rejected') throw result.reason;
        session.consumers.set(leg, result.value);
        result.value.observer.once('close', () => session.consumers.delete(leg));
      }
    } catch (error) {
      session.close();
      throw error;
    }
    return session;
  }

  /** What the console needs to build its receive transport and consumers. */
  offer(): ListenOffer {
    return {
      callId: this.callId,
      transport: {
        id: this.transport.id,
        iceParameters: this.transport.iceParameters,
        iceCandidates: this.transport.iceCandidates,
        dtlsParameters: this.transport.dtlsParameters,
      },
      consumers: [...this.consumers].map(([leg, c]) => ({
        leg,
        id: c.id,
        producerId: c.producerId,
        rtpParameters: c.rtpParameters,
      })),
    };
  }

  async connect(dtlsParameters: ms.DtlsParameters): Promise<void> {
    try {
      await this.transport.connect({ dtlsParameters });
    } catch (error) {
      throw new AppError(
        'bad_request',
        400,
        `the transport could not be connected: ${(error as Error).message}`,
      );
    }
  }

  async resume(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((c) => c.resume()));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the transport and its consumers. Idempotent; emits 'closed' once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.transport.closed) this.transport.close();
    this.consumers.clear();
    this.emit('closed');
  }
}
