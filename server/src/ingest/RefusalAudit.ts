import type { AuditEntry } from '../audit/AuditLog.ts';
import type { Logger } from '../log/logger.ts';

const EVERY_MS = 60_000;
const MAX_KEYS = 10_000;

/**
 * Refused ingest attempts, in the audit trail and the log: one record per address and
 * reason a minute, so that a flood does not flood the trail.
 */
export class RefusalAudit {
  readonly #record: (entry: AuditEntry) => void;
  readonly #actor: AuditEntry['actor'];
  readonly #action: AuditEntry['action'];
  readonly #log: Logger;
  readonly #last = new Map<string, number>();

  constructor(options: {
    record: (entry: AuditEntry) => void;
    actor: AuditEntry['actor'];
    action: AuditEntry['action'];
    logger: Logger;
  }) {
    this.#record = options.record;
    this.#actor = options.actor;
    this.#action = options.action;
    this.#log = options.logger;
  }

  refused(from: string, reason: string, details: Record<string, unknown> = {}): void {
    const now = Date.now();
    const key = `${from} ${reason}`;
    if (now - (this.#last.get(key) ?? 0) < EVERY_MS) return;
    if (this.#last.size > MAX_KEYS) this.#last.clear();
    this.#last.set(key, now);
    this.#record({
      actor: this.#actor,
      action: this.#action,
      target: from,
      details: { reason, ...details },
    });
    this.#log.warn({ from, reason }, `${this.#actor.name} refused`);
  }
}
