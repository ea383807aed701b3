import { createHash } from 'node:crypto';
import type { AuditAction, AuditQuery } from '@earshot/shared';
import type { Database, SqlValue } from '../db/Database.ts';

/** What is recorded: who did what to what, when, and anything that says more. */
export interface AuditEntry {
  actor: { id: string; name: string };
  action: AuditAction;
  target: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  at: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

interface AuditRow {
  seq: number;
  at: string;
  actor_id: string;
  actor_name: string;
  action: AuditEntry['action'];
  target: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The hash of a record: its fields in a fixed order, chained to the previous hash. */
function hashOf(
  prevHash: string,
  r: {
    seq: number;
    at: string;
    actorId: string;
    actorName: string;
    action: string;
    target: string | null;
    details: string;
  },
): string {
  const canonical = JSON.stringify([
    prevHash,
    r.seq,
    r.at,
    r.actorId,
    r.actorName,
    r.action,
    r.target,
    r.details,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

const fromRow = (r: AuditRow): AuditRecord => ({
  seq: r.seq,
  at: r.at,
  actor: { id: r.actor_id, name: r.actor_name },
  action: r.action,
  target: r.target,
  details: JSON.parse(r.details) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/**
 * The append-only audit trail: every record carries the hash of the one before, so an
 * edited, removed or inserted record breaks the chain at that point.
 */
/** Records written in one transaction at most (a burst of refusals, say). */
const GROUP_MAX = 200;

interface Waiting {
  entry: AuditEntry;
  resolve: (record: AuditRecord) => void;
  reject: (error: unknown) => void;
}

export class AuditLog {
  readonly #db: Database;
  /** Entries waiting for the next write, in the order they came. */
  #waiting: Waiting[] = [];
  #writing = false;
  /** The current write loop (settled once nothing waits). */
  #drained: Promise<void> = Promise.resolve();

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Appends a record. Appends are serialised (here, and across nodes by the database lock
   * `audit`) so that the chain stays linear; those that come while one is written go
   * together in the next transaction, so that a burst costs a few writes, not hundreds.
   */
  append(entry: AuditEntry): Promise<AuditRecord> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ entry, resolve, reject });
      if (!this.#writing) this.#drained = this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#waiting.length) {
      const group = this.#waiting.splice(0, GROUP_MAX);
      try {
        const records = await this.#db.transaction(async (db) => {
          await db.lock('audit');
          const last = await db.get<{ seq: number; hash: string }>(
            'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1',
          );
          let seq = last?.seq ?? 0;
          let prevHash = last?.hash ?? GENESIS;
          const made: AuditRecord[] = [];
          const values: SqlValue[] = [];
          for (const { entry } of group) {
            const record = {
              seq: ++seq,
              at: new Date().toISOString(),
              actorId: entry.actor.id,
              actorName: entry.actor.name,
              action: entry.action,
              target: entry.target,
              details: JSON.stringify(entry.details ?? {}),
            };
            const hash = hashOf(prevHash, record);
            values.push(
              record.seq,
              record.at,
              record.actorId,
              record.actorName,
              record.action,
              record.target,
              record.details,
              prevHash,
              hash,
            );
            made.push({
              ...entry,
              seq,
              at: record.at,
              details: entry.details ?? {},
              prevHash,
              hash,
            });
            prevHash = hash;
          }
          await db.run(
            `INSERT INTO audit (seq, at, actor_id, actor_name, action, target, details, prev_hash, hash) VALUES ${group.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
            values,
          );
          return made;
        });
        group.forEach((w, k) => w.resolve(records[k]!));
      } catch (error) {
        for (const w of group) w.reject(error);
      }
    }
    this.#writing = false;
  }

  /** Records matching a query, newest first. */
  async list(
    query: Omit<AuditQuery, 'format' | 'limit'> & { limit?: number } = {},
  ): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (clause: string, ...values: SqlValue[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (query.actor)
      add(
        "(actor_id = ? OR LOWER(actor_name) LIKE LOWER(?) ESCAPE '\\')",
        query.actor,
        `%${likeEscape(query.actor)}%`,
      );
    if (query.action?.length)
      add(`action IN (${query.action.map(() => '?').join(', ')})`, ...query.action);
    if (query.target) add('target = ?', query.target);
    if (query.from) add('at >= ?', new Date(query.from).toISOString());
    if (query.to) add('at <= ?', new Date(query.to).toISOString());
    if (query.before) add('seq < ?', query.before);
    const rows = await this.#db.all<AuditRow>(
      `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`,
      [...params, query.limit ?? 500],
    );
    return rows.map(fromRow);
  }

  /** Walks the chain from the start: ok with the count, or the first record that does not fit. */
  async verify(): Promise<{ ok: true; records: number } | { ok: false; brokenAt: number }> {
    await this.#drained;
    const rows = await this.#db.all<AuditRow>('SELECT * FROM audit ORDER BY seq');
    let prevHash = GENESIS;
    let expectedSeq = 1;
    for (const r of rows) {
      const hash = hashOf(prevHash, {
        seq: r.seq,
        at: r.at,
        actorId: r.actor_id,
        actorName: r.actor_name,
        action: r.action,
        target: r.target,
        details: r.details,
      });
      if (r.seq !== expectedSeq || r.prev_hash !== prevHash || r.hash !== hash)
        return { ok: false, brokenAt: r.seq };
      prevHash = r.hash;
      expectedSeq++;
    }
    return { ok: true, records: rows.length };
  }
}
