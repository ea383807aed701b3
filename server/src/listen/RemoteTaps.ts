import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { LEGS, LegName } from '@earshot/shared';
import type { types as ms } from 'mediasoup';
import { z } from 'zod';
import type { CallService } from '../calls/CallService.ts';
import type { RemoteCalls } from '../calls/RemoteCalls.ts';
import type { Cluster } from '../cluster/Cluster.ts';
import { NotFoundError, UnavailableError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { PipedTap, pipeEnd, type PipedLeg, type PipeListen } from '../media/PipedTap.ts';
import type { WorkerPool } from '../media/WorkerPool.ts';
import { KeyedQueue } from '../util/KeyedQueue.ts';

const End = z.object({ ip: z.string().min(1).max(64), port: z.number().int().min(1).max(65535) });
const PipeRequest = z.object({ callId: z.string().min(1).max(64), end: End });
const PipeAnswer = z.object({
  pipeId: z.string(),
  end: End,
  legs: z.array(
    z.object({
      leg: LegName,
      producerId: z.string(),
      rtpParameters: z.record(z.string(), z.unknown()),
      paused: z.boolean(),
    }),
  ),
});
const Unpipe = z.object({ pipeId: z.string().max(64) });
const Retapped = z.object({ callId: z.string().max(64) });

/** How long a piped call with no listener left here is kept (a listener switching back). */
const LINGER_MS = 10_000;

/**
 * Listening across nodes: a console connected to this node hears a call another node taps
 * through a mediasoup pipe between the two nodes' routers, asked for over the cluster. The
 * owning node pipes each call once per listening node, however many listen there; the
 * browser keeps its one connection to its own node.
 */
export class RemoteTaps extends EventEmitter<{
  /** A piped call's media restarted on its owner (a worker died there): listen again. */
  retapped: [callId: string];
}> {
  readonly #cluster: Cluster;
  readonly #calls: CallService;
  readonly #pool: WorkerPool;
  readonly #listen: PipeListen;
  readonly #log: Logger;
  readonly #queue = new KeyedQueue();
  /** Calls of other nodes heard here. */
  readonly #taps = new Map<
    string,
    { tap: PipedTap; node: string; pipeId: string; idleSince: number | null }
  >();
  /** Pipes this node opened to others for its own calls. */
  readonly #pipes = new Map<
    string,
    { transport: ms.PipeTransport; node: string; callId: string }
  >();
  readonly #sweep: NodeJS.Timeout;

  constructor(options: {
    cluster: Cluster;
    calls: CallService;
    remote: RemoteCalls;
    pool: WorkerPool;
    listen: PipeListen;
    logger: Logger;
  }) {
    super();
    const { cluster, calls, remote } = options;
    this.#cluster = cluster;
    this.#calls = calls;
    this.#pool = options.pool;
    this.#listen = options.listen;
    this.#log = options.logger;
    cluster.handle('tap:pipe', PipeRequest, (request, from) => this.#pipeOut(request, from));
    cluster.handle('tap:unpipe', Unpipe, async ({ pipeId }) => {
      this.#pipes.get(pipeId)?.transport.close();
      return null;
    });
    cluster.subscribe('tap:retapped', Retapped, ({ callId }, from) => {
      const held = this.#taps.get(callId);
      if (held?.node !== from) return;
      this.#close(callId, false);
      this.emit('retapped', callId);
    });
    calls.on('retapped', (callId) => cluster.publish('tap:retapped', { callId }));
    remote.on('ended', (call) => this.#close(call.id, false));
    cluster.on('lost', (node) => {
      for (const [callId, held] of this.#taps) if (held.node === node) this.#close(callId, false);
      for (const pipe of this.#pipes.values()) if (pipe.node === node) pipe.transport.close();
    });
    this.#sweep = setInterval(() => this.#release(), 2_000);
    this.#sweep.unref();
  }

  /** The piped media of another node's call, opened on first use. */
  tap(callId: string, node: string): Promise<PipedTap> {
    return this.#queue.run(callId, async () => {
      const held = this.#taps.get(callId);
      if (held && !held.tap.closed && held.node === node) {
        held.idleSince = null;
        return held.tap;
      }
      if (held) this.#close(callId, true);
      let pipeId = '';
      const tap = await PipedTap.create({
        worker: this.#pool.pick(),
        callId,
        listen: this.#listen,
        open: async (end) => {
          const answer = PipeAnswer.parse(
            await this.#cluster.request(node, 'tap:pipe', { callId, end }),
          );
          pipeId = answer.pipeId;
          return { end: answer.end, legs: answer.legs as unknown as PipedLeg[] };
        },
      }).catch((error: unknown) => {
        if (error instanceof NotFoundError || error instanceof UnavailableError) throw error;
        this.#log.error({ err: error, callId, node }, 'could not pipe the call from its node');
        throw new UnavailableError("the call's node could not send its media here; try again");
      });
      this.#taps.set(callId, { tap, node, pipeId, idleSince: null });
      tap.once('closed', () => {
        if (this.#taps.get(callId)?.tap === tap) this.#taps.delete(callId);
      });
      this.#log.info({ callId, node }, 'listening to a call of another node');
      return tap;
    });
  }

  /** The owner's end: a pipe from the call's router to the asking node, one consumer a leg. */
  async #pipeOut(request: z.infer<typeof PipeRequest>, from: string) {
    const call = this.#calls.live(request.callId);
    if (!call || call.closed) throw new NotFoundError(`no live call with id "${request.callId}"`);
    const tap = call.tap;
    if (!tap) throw new UnavailableError('the call is being re-tapped; try again');
    const transport = await tap.router.createPipeTransport({
      listenInfo: {
        protocol: 'udp',
        ip: this.#listen.ip,
        ...(this.#listen.announcedIp ? { announcedAddress: this.#listen.announcedIp } : {}),
        portRange: this.#listen.portRange,
      },
    });
    const pipeId = randomUUID();
    this.#pipes.set(pipeId, { transport, node: from, callId: request.callId });
    transport.observer.once('close', () => this.#pipes.delete(pipeId));
    try {
      await transport.connect(request.end);
      const legs = [];
      for (const leg of LEGS) {
        const producer = tap.legs.get(leg)?.producer;
        if (!producer) throw new UnavailableError('the call is being re-tapped; try again');
        const consumer = await transport.consume({ producerId: producer.id });
        legs.push({
          leg,
          producerId: producer.id,
          rtpParameters: consumer.rtpParameters,
          paused: consumer.producerPaused,
        });
      }
      return { pipeId, end: pipeEnd(transport, this.#listen.announcedIp), legs };
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  /** Piped calls nobody here has heard for a while are closed, and their owners told. */
  #release(): void {
    const now = Date.now();
    for (const [callId, held] of this.#taps) {
      if (held.tap.consumers > 0) held.idleSince = null;
      else if (held.idleSince === null) held.idleSince = now;
      else if (now - held.idleSince >= LINGER_MS)
        void this.#queue.run(callId, async () => {
          if (this.#taps.get(callId) === held && held.tap.consumers === 0)
            this.#close(callId, true);
        });
    }
  }

  #close(callId: string, tellOwner: boolean): void {
    const held = this.#taps.get(callId);
    if (!held) return;
    this.#taps.delete(callId);
    held.tap.close();
    if (tellOwner)
      this.#cluster
        .request(held.node, 'tap:unpipe', { pipeId: held.pipeId })
        .catch(() => undefined);
  }

  /** Calls of other nodes piped here now, and pipes this node sends out. */
  get counts(): { in: number; out: number } {
    return { in: this.#taps.size, out: this.#pipes.size };
  }

  close(): void {
    clearInterval(this.#sweep);
    for (const callId of [...this.#taps.keys()]) this.#close(callId, true);
    for (const pipe of this.#pipes.values()) pipe.transport.close();
  }
}
