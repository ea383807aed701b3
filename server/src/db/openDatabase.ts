import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import type { Database } from './Database.ts';
import { PostgresDatabase } from './PostgresDatabase.ts';
import { SqliteDatabase } from './SqliteDatabase.ts';

/** The configured engine: PostgreSQL at EARSHOT_DATABASE_URL, else the SQLite file. */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  return config.databaseUrl
    ? PostgresDatabase.open(config.databaseUrl, logger.child({ module: 'db' }))
    : SqliteDatabase.open(join(config.dataDir, 'earshot.sqlite'));
}
