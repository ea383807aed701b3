import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';
import type { Logger } from '../log/logger.ts';

export interface WorkerPoolOptions {
  count: number;
  workerBin: string | undefined;
  logger: Logger;
}

interface Slot {
  worker: ms.Worker;
  routers: number;
}

/**
 * The mediasoup workers, one per core by default. New calls go to the least-loaded worker;
 * a worker that dies is replaced and reported with 'workerDied' so its calls can be re-tapped.
 */
export class WorkerPool extends EventEmitter<{ workerDied: [pid: number] }> {
  readonly #options: WorkerPoolOptions;
  readonly #slots = new Map<number, Slot>();
  #closed = false;
  #died = 0;

  private constructor(options: WorkerPoolOptions) {
    super();
    this.#options = options;
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    try {
      await Promise.all(Array.from({ length: options.count }, () => pool.#spawn()));
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  async #spawn(): Promise<void> {
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      ...(this.#options.workerBin ? { workerBin: this.#options.workerBin } : {}),
    });
    const log = this.#options.logger.child({ workerPid: worker.pid });
    const slot: Slot = { worker, routers: 0 };
    this.#slots.set(worker.pid, slot);
    worker.observer.on('newrouter', (router) => {
      slot.routers += 1;
      router.observer.once('close', () => {
        slot.routers -= 1;
      });
    });
    worker.on('died', (error) => {
      this.#slots.delete(worker.pid);
      if (this.#closed) return;
      this.#died += 1;
      log.error(
        { err: error },
        'mediasoup worker died; re-tapping its calls on the remaining workers',
      );
      this.emit('workerDied', worker.pid);
      this.#spawn().catch((spawnError: unknown) =>
        log.error({ err: spawnError }, 'could not start a replacement mediasoup worker'),
      );
    });
    log.info('mediasoup worker started');
  }

  /** The least-loaded live worker; throws when none is left. */
  pick(): ms.Worker {
    let best: Slot | undefined;
    for (const slot of this.#slots.values()) {
      if (slot.worker.closed || slot.worker.died) continue;
      if (!best || slot.routers < best.routers) best = slot;
    }
    if (!best) throw new Error('no mediasoup worker is available');
    return best.worker;
  }

  get size(): number {
    return this.#slots.size;
  }

  /** How many workers died since start (replacements included in `size`). */
  get deaths(): number {
    return this.#died;
  }

  /** Live workers, for inspection and tests. */
  workers(): ms.Worker[] {
    return [...this.#slots.values()].map((s) => s.worker);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { worker } of this.#slots.values()) worker.close();
    this.#slots.clear();
  }
}
