import pg from 'pg';
import { UnavailableError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Database, SqlValue } from './Database.ts';
import { MIGRATIONS } from './migrations.ts';

// NOTE: 64-bit integers and numerics come back as JavaScript numbers, as SQLite gives them
// (epoch milliseconds and counts stay far below 2^53).
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/** Any one number: nodes starting together take this lock and migrate once. */
const MIGRATION_LOCK = 0x45415253;

/** `?` placeholders (the layer's portable form) as PostgreSQL's `$1, $2, …`. */
export function toPostgres(sql: string): string {
  let n = 0;
  let quoted = false;
  let out = '';
  for (const c of sql) {
    if (c === "'") quoted = !quoted;
    out += c === '?' && !quoted ? `$${++n}` : c;
  }
  return out;
}

/** The layer's DDL (SQLite's types) in PostgreSQL's: 64-bit integers, double floats. */
export function ddlForPostgres(sql: string): string {
  return sql.replace(/\bINTEGER\b/g, 'BIGINT').replace(/\bREAL\b/g, 'DOUBLE PRECISION');
}

// Connection failures and the server going away (PostgreSQL's class 08 and 57P0x).
const CONNECTION_CODES =
  /^(08\d{3}|57P0[1-3]|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN)$/;
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/** A database that cannot be reached is a 503 with a clear message, never a 500. */
function unavailable(error: unknown): never {
  const code = String((error as { code?: string }).code ?? '');
  if (CONNECTION_CODES.test(code) || CONNECTION_MESSAGES.test((error as Error).message ?? ''))
    throw new UnavailableError('the database (PostgreSQL) cannot be reached; try again shortly');
  throw error;
}

/**
 * The query layer on PostgreSQL (`EARSHOT_DATABASE_URL=postgres://…`, driver `pg`): the
 * same portable SQL as SQLite, its `?` placeholders numbered, the same migrations (their
 * types widened) applied once under an advisory lock however many nodes start together.
 * While PostgreSQL is down every statement fails at once with UnavailableError (a 503)
 * and the pool reconnects by itself when it is back.
 */
export class PostgresDatabase implements Database {
  readonly #pool: pg.Pool;
  /** Set on the instance a transaction's work gets: its one connection. */
  readonly #client: pg.PoolClient | undefined;

  private constructor(pool: pg.Pool, client?: pg.PoolClient) {
    this.#pool = pool;
    this.#client = client;
  }

  /** Connects and applies pending migrations (once, under a lock, across nodes). */
  static async open(url: string, logger: Logger): Promise<PostgresDatabase> {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // NOTE: a refused connection (PostgreSQL down) fails at once; this bounds a host
      // that does not answer at all, with room for a loaded machine's slow backend start.
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'earshot',
    });
    // An idle connection the server drops must not take the process with it.
    // NOTE: the message only: pg hangs the whole client (its buffers, its settings) on it.
    pool.on('error', (error) =>
      logger.warn({ error: error.message }, 'a PostgreSQL connection failed'),
    );
    const client = await pool.connect();
    const dropped = (error: Error) =>
      logger.warn({ error: error.message }, 'the connection migrating the database failed');
    client.on('error', dropped);
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
      const applied = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      for (const [index, sql] of MIGRATIONS.entries()) {
        const version = index + 1;
        if (applied.has(version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(ddlForPostgres(sql));
          await client.query(
            'INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)',
            [version, new Date().toISOString()],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } catch (error) {
      client.off('error', dropped);
      client.release();
      await pool.end();
      throw error;
    }
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    client.off('error', dropped);
    client.release();
    return new PostgresDatabase(pool);
  }

  #query(sql: string, params: SqlValue[]): Promise<pg.QueryResult> {
    return (this.#client ?? this.#pool).query(toPostgres(sql), params).catch(unavailable);
  }

  async all<T>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return (await this.#query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, params: SqlValue[] = []): Promise<T | undefined> {
    return (await this.#query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params: SqlValue[] = []): Promise<{ changes: number }> {
    return { changes: (await this.#query(sql, params)).rowCount ?? 0 };
  }

  async lock(name: string): Promise<void> {
    if (!this.#client) throw new Error('a lock is taken inside a transaction');
    await this.#query('SELECT pg_advisory_xact_lock(hashtext(?))', [name]);
  }

  async transaction<T>(work: (db: Database) => Promise<T>): Promise<T> {
    if (this.#client) return work(this);
    const client = await this.#pool.connect().catch(unavailable);
    let broken = false;
    // NOTE: pg's pool listens for errors only on idle clients: one the server drops while it
    // is checked out here, between two queries, would otherwise throw from the process.
    const dropped = () => (broken = true);
    client.on('error', dropped);
    try {
      await client.query('BEGIN').catch(unavailable);
      const result = await work(new PostgresDatabase(this.#pool, client));
      await client.query('COMMIT').catch(unavailable);
      return result;
    } catch (error) {
      broken = error instanceof UnavailableError;
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', dropped);
      // A connection that failed is dropped, not handed to the next request.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (!this.#client) await this.#pool.end();
  }
}
