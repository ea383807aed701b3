// A private PostgreSQL for the tests (Debian's `postgresql` package): initdb and pg_ctl
// into a temporary directory as the `postgres` user, on a free port of loopback; each
// test server gets a database of its own in it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** Where Debian put the server binaries (the newest major version installed). */
function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions)
    if (existsSync(join(root, v, 'bin', name))) return join(root, v, 'bin', name);
  throw new Error(
    "no PostgreSQL server binaries: apt-get install postgresql (npm test's set-up does)",
  );
}

/** A free TCP port on loopback (for a server that must be told its port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PrivatePostgres {
  /** The cluster's admin URL (database `postgres`). */
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  /** Stops the server, keeping its data (to test an outage). */
  pause(): Promise<void>;
  /** Starts it again on the same port and data. */
  resume(): Promise<void>;
}

/** Starts a private cluster; as root, it runs as the `postgres` user. */
export async function startPostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-pg-'));
  const asRoot = userInfo().uid === 0;
  const as = async (file: string, args: string[]) => {
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', file, ...args]]
      : [file, args];
    return run(cmd, argv, { timeout: 60_000 });
  };
  if (asRoot) {
    const { uid, gid } = await run('id', ['-u', 'postgres']).then(async ({ stdout }) => ({
      uid: Number(stdout.trim()),
      gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
    }));
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  await as(pgBin('initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-sync',
  ]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  const start = () =>
    as(pgBin('pg_ctl'), [
      '-D',
      data,
      '-o',
      options,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  const stopServer = (mode: string) =>
    as(pgBin('pg_ctl'), ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']).catch(() => undefined);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async stop() {
      await stopServer('immediate');
      rmSync(dir, { recursive: true, force: true });
    },
    pause: () => stopServer('immediate').then(() => undefined),
    resume: () => start().then(() => undefined),
  };
}

const DB_FILE = '.test-database-url';

/**
 * The database of a test server's data directory on the private cluster at `adminUrl`:
 * made at first use and remembered in the directory, so that a server started again on
 * the same directory (a restart, a crash) finds its data again.
 */
export async function databaseFor(dataDir: string, adminUrl: string): Promise<string> {
  const file = join(dataDir, DB_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const name = `earshot_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  writeFileSync(file, url.toString());
  return url.toString();
}
