// What /proc says of the processes a benchmark measures, and the load generators it runs.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A process's descendants (children, theirs, and so on). */
export function descendantPids(pid: number): number[] {
  const children = childPids(pid);
  return [...children, ...children.flatMap(descendantPids)];
}

/** The direct children of a process. */
export function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        return (
          readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(pid)
        );
      } catch {
        return false;
      }
    });
}

const CLK_TCK = 100;

/**
 * CPU seconds used so far by processes (all their threads) that are still alive: in all, or
 * only in the kernel on their behalf (`system`: system calls, and on loopback the receiver's
 * side of every datagram sent).
 */
export function cpuSeconds(pids: number[], which: 'all' | 'system' = 'all'): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += (which === 'all' ? Number(fields[11]) : 0) + Number(fields[12]);
    } catch {
      // the process is gone
    }
  }
  return ticks / CLK_TCK;
}

/**
 * Runs a load generator of scripts/bench/load/ in a process of its own, pinned to `cpu`,
 * and resolves with the JSON it prints on its last line (rejects when `signal` stops it).
 * With `idle` it runs under SCHED_IDLE (`chrt --idle`): on its core it gives way at once to
 * anything else that wakes there. Not nice: the kernel lets a running task finish its slice
 * (3-4 ms here) whatever its nice, so a niced sender still held a probe's answer that long.
 */
export function runLoad<T>(
  name: string,
  args: string[],
  cpu: number,
  { signal, idle = false }: { signal?: AbortSignal; idle?: boolean } = {},
): Promise<T> {
  const file = fileURLToPath(new URL(`./load/${name}.ts`, import.meta.url));
  const policy = idle ? ['chrt', '--idle', '0'] : [];
  const command = ['-c', String(cpu), ...policy, process.execPath, file, ...args];
  const child = spawn('taskset', command, {
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(signal ? { signal } : {}),
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`${name} exited with ${code}`));
      else resolve(JSON.parse(last) as T);
    });
  });
}

/**
 * Datagrams the kernel dropped at the UDP sockets processes hold now (their receive buffers
 * full: the process did not read in time), summed from the `drops` column of
 * /proc/net/udp and udp6. Sockets closed since are no longer counted.
 */
export function udpDrops(pids: number[]): number {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // the process is gone
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
      } catch {
        // closed meanwhile
      }
    }
  }
  let drops = 0;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let lines: string[];
    try {
      lines = readFileSync(table, 'utf8').trim().split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (inodes.has(fields[9]!)) drops += Number(fields[12]);
    }
  }
  return drops;
}
