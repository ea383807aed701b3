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
  /** The server's process id (while it runs). */
  readonly pid: number | undefined;
  /** What `INFO <section>` answers (a benchmark's counters). */
  info(section: string): Promise<string>;
  stop(): Promise<void>;
  /**
   * Kills it (its data goes with it) and starts it again on the same port; `whileDown`
   * runs in between.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
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

/** Sends `INFO section` and reads its bulk reply ($length, then the text). */
function infoOf(port: number, section: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    socket.setTimeout(2000, () => socket.destroy(new Error('INFO timed out')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`INFO ${section}\r\n`));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const head = data.indexOf('\r\n');
      const length = Number(data.subarray(1, head).toString());
      if (head > 0 && data.length >= head + 2 + length) {
        socket.destroy();
        resolve(data.subarray(head + 2, head + 2 + length).toString());
      }
    });
  });
}

/** Starts a private Redis; with `cpu`, pinned to that core (a benchmark's server side). */
export async function startRedis(options: { cpu?: number } = {}): Promise<PrivateRedis> {
  if (!existsSync(BIN))
    throw new Error("no redis-server: apt-get install redis-server (npm test's set-up does)");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'earshot-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', ''];
    args.push('--appendonly', 'no', '--dir', dir);
    // NOTE: taskset runs redis-server in its own process (exec): the pid is the server's.
    child =
      options.cpu === undefined
        ? spawn(BIN, args, { stdio: 'ignore' })
        : spawn('taskset', ['-c', String(options.cpu), BIN, ...args], { stdio: 'ignore' });
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
    get pid() {
      return child?.pid;
    },
    info: (section) => infoOf(port, section),
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(whileDown) {
      await kill();
      await whileDown?.();
      await start();
    },
  };
}
