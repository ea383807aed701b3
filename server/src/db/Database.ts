/** A value a query parameter or a column may hold. */
export type SqlValue = string | number | bigint | null;

/**
 * The query layer the repositories use, on SQLite (`SqliteDatabase`) or PostgreSQL
 * (`PostgresDatabase`). Statements use `?` placeholders and SQL both engines run the same
 * way (`INSERT … ON CONFLICT`, no engine functions); what differs lives in the engines'
 * classes: placeholders, column types, locks.
 */
export interface Database {
  /** Rows of a query. */
  all<T>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** The first row of a query, or undefined. */
  get<T>(sql: string, params?: SqlValue[]): Promise<T | undefined>;
  /** Runs a statement and says how many rows it changed. */
  run(sql: string, params?: SqlValue[]): Promise<{ changes: number }>;
  /**
   * Inside a transaction: waits for, then holds until it ends, the lock called `name`, so
   * that work under one name runs one at a time across every node (the audit chain).
   */
  lock(name: string): Promise<void>;
  /** Runs `work` in one transaction: all of it lands, or none of it. */
  transaction<T>(work: (db: Database) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
