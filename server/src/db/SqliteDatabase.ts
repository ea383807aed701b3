import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Database, SqlValue } from './Database.ts';
import { MIGRATIONS } from './migrations.ts';

/** Prepared statements kept for reuse (SQL built with a varying number of values churns). */
const STATEMENT_CACHE = 256;

/** The embedded default: one SQLite file (node:sqlite), migrated on open. */
export class SqliteDatabase implements Database {
  readonly #db: DatabaseSync;
  // NOTE: a statement is parsed and planned once, not at every call: the same few hundred
  // SQL texts run thousands of times (a live call's activity, every 2 s).
  readonly #statements = new Map<string, StatementSync>();
  #queue: Promise<unknown> = Promise.resolve();
  #inTransaction = false;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (creating if needed) the database file and applies pending migrations. */
  static open(file: string): SqliteDatabase {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new DatabaseSync(file);
    db.exec(
      'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;',
    );
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
        (r) => r.version,
      ),
    );
    for (const [index, sql] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (applied.has(version)) continue;
      db.exec('BEGIN');
      try {
        db.exec(sql);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
          version,
          new Date().toISOString(),
        );
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    }
    return new SqliteDatabase(db);
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement) {
      // Most recently used last: the first is the one let go when the cache is full.
      this.#statements.delete(sql);
    } else {
      statement = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE)
        this.#statements.delete(this.#statements.keys().next().value!);
    }
    this.#statements.set(sql, statement);
    return statement;
  }

  async all<T>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return this.#prepare(sql).all(...(params as SQLInputValue[])) as T[];
  }

  async get<T>(sql: string, params: SqlValue[] = []): Promise<T | undefined> {
    return this.#prepare(sql).get(...(params as SQLInputValue[])) as T | undefined;
  }

  async run(sql: string, params: SqlValue[] = []): Promise<{ changes: number }> {
    const result = this.#prepare(sql).run(...(params as SQLInputValue[]));
    return { changes: Number(result.changes) };
  }

  async lock(): Promise<void> {
    // One connection, and every transaction BEGIN IMMEDIATE: work is one at a time already.
  }

  transaction<T>(work: (db: Database) => Promise<T>): Promise<T> {
    // NOTE: one connection, so transactions are queued; a nested call joins the open one.
    if (this.#inTransaction) return work(this);
    const next = this.#queue.then(async () => {
      this.#inTransaction = true;
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this);
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      } finally {
        this.#inTransaction = false;
      }
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}
