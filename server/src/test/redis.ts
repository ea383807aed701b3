// A private Redis for the tests (Debian's `redis-server`): on a free port of loopback,
// nothing saved to disk, stopped at the end; it can be restarted on the same port to test
// an outage.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgres.ts';

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kills it (its data goes with it) and starts it again on the same port. */
  restart(): Promise<void>;
}

const BIN = '/usr/bin/redis-server';

/** Resolves once Redis answers PING on `port`, or rejects after `ms`. */
async function answers(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.setTimeout(500, () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not answer on port ${port}`);
}

export async function startRedis(): Promise<PrivateRedis> {
  if (!existsSync(BIN))
    throw new Error("no redis-server: apt-get install redis-server (npm test's set-up does)");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'earshot-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      BIN,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    await answers(port, 10_000);
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await kill();
      await start();
    },
  };
}
