// Vitest's global set-up for the server and end-to-end projects: with
// EARSHOT_TEST_DATABASE=postgres the whole run uses a private PostgreSQL (each test
// server a database of its own in it), stopped at the end; otherwise SQLite, as shipped.
import { startPostgres } from './postgres.ts';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const engine = process.env.EARSHOT_TEST_DATABASE ?? 'sqlite';
  if (engine === 'sqlite') return undefined;
  if (engine !== 'postgres')
    throw new Error(`EARSHOT_TEST_DATABASE must be sqlite or postgres, not "${engine}"`);
  const cluster = await startPostgres();
  process.env.EARSHOT_TEST_PG_URL = cluster.url;
  return () => cluster.stop();
}
