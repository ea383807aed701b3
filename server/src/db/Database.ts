/** A value a query parameter or a column may hold. */
export type SqlValue = string | number | bigint | null;

/**
 * The query layer the repositories use. Statements use `?` placeholders and portable SQL
 * so that a PostgreSQL implementation can stand behind the same interface.
 */
export interface Database {
  /** Rows of a query. */
  all<T>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** The first row of a query, or undefined. */
  get<T>(sql: string, params?: SqlValue[]): Promise<T | undefined>;
  /** Runs a statement and says how many rows it changed. */
  run(sql: string, params?: SqlValue[]): Promise<{ changes: number }>;
  /** Runs `work` in one transaction: all of it lands, or none of it. */
  transaction<T>(work: (db: Database) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
