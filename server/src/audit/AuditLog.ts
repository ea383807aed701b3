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
export class AuditLog {
  readonly #db: Database;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(db: Database) {
    this.#db = db;
  }

  /** Appends a record (appends are serialised so that the chain stays linear). */
  append(entry: AuditEntry): Promise<AuditRecord> {
    const next = this.#tail.then(() =>
      this.#db.transaction(async (db) => {
        const last = await db.get<{ seq: number; hash: string }>(
          'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1',
        );
        const record = {
          seq: (last?.seq ?? 0) + 1,
          at: new Date().toISOString(),
          actorId: entry.actor.id,
          actorName: entry.actor.name,
          action: entry.action,
          target: entry.target,
          details: JSON.stringify(entry.details ?? {}),
        };
        const prevHash = last?.hash ?? GENESIS;
        const hash = hashOf(prevHash, record);
        await db.run(
          'INSERT INTO audit (seq, at, actor_id, actor_name, action, target, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [
            record.seq,
            record.at,
            record.actorId,
            record.actorName,
            record.action,
            record.target,
            record.details,
            prevHash,
            hash,
          ],
        );
        return {
          ...entry,
          seq: record.seq,
          at: record.at,
          details: entry.details ?? {},
          prevHash,
          hash,
        };
      }),
    );
    this.#tail = next.catch(() => undefined);
    return next;
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
        "(actor_id = ? OR actor_name LIKE ? ESCAPE '\\')",
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
    await this.#tail;
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
