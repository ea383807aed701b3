// The server a benchmark measures: its own process (its mediasoup workers with it), signed
// in as the demo admin (declares the organisation) and executive (the consoles), and the
// few figures every benchmark prints.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoint } from '@earshot/shared';
import { DEMO_PASSWORD, signInAt, spawnServer } from '@earshot/server/testing';

export interface BenchServer {
  url: string;
  child: ChildProcess;
  dataDir: string;
  /** Session cookies (`name=value`) of the demo admin and executive. */
  admin: string;
  exec: string;
  /** A JSON request with the ingest token and a session (the admin's unless told). */
  api<T>(method: string, path: string, body?: unknown, as?: 'admin' | 'exec'): Promise<T>;
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

/** Starts a server with demo users and the ingest token `token`; `cpu` pins it. */
export async function startBenchServer(
  name: string,
  token: string,
  env: Record<string, string>,
  options: { cpu?: number } = {},
): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), `earshot-bench-${name}-`));
  const { url, child } = await spawnServer(
    { EARSHOT_DATA_DIR: dataDir, EARSHOT_INGEST_TOKEN: token, EARSHOT_DEMO_USERS: 'on', ...env },
    options,
  );
  const sessions = {
    admin: await signInAt(url, 'admin', DEMO_PASSWORD),
    exec: await signInAt(url, 'exec', DEMO_PASSWORD),
  };
  return {
    url,
    child,
    dataDir,
    ...sessions,
    async api<T>(method: string, path: string, body?: unknown, as: 'admin' | 'exec' = 'admin') {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          cookie: sessions[as],
          origin: url,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    async close() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The p-th percentile of `xs` (nearest rank), NaN when empty. */
export const percentile = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;

export const median = (xs: number[]): number => percentile(xs, 50);

export interface BenchCall {
  callId: string;
  legs: Record<'agent' | 'customer', Endpoint>;
}

/** Declares a one-team organisation for the calls of a benchmark (with `agents` in it). */
export function declareBenchOrg(server: BenchServer, agents: string[] = []): Promise<unknown> {
  return server.api('PUT', '/api/v1/org', {
    regions: [{ id: 'bench-region', name: 'Bench' }],
    centers: [
      { id: 'bench-center', name: 'Bench', regionId: 'bench-region', timeZone: 'America/Chicago' },
    ],
    teams: [
      {
        id: 'bench-team',
        name: 'Bench',
        centerId: 'bench-center',
        specialty: false,
        hours: { kind: 'always' },
      },
    ],
    agents: agents.map((id) => ({ id, name: id, teamId: 'bench-team' })),
  });
}

/** Announces `count` PCMU calls on the bench organisation, one after another. */
export async function announceCalls(server: BenchServer, count: number): Promise<BenchCall[]> {
  const created: BenchCall[] = [];
  for (let i = 0; i < count; i++) {
    created.push(
      await server.api<BenchCall>('POST', '/api/v1/calls', {
        center: 'bench-center',
        region: 'bench-region',
        team: 'bench-team',
        agent: { id: `agent-${i}`, name: `Agent ${i}` },
        customer: {},
        codec: 'PCMU',
      }),
    );
  }
  return created;
}

/** Counts the 20 ms blocks of each channel that carry audio (not G.711 silence). */
export function recordedFrames(wav: Buffer): number {
  const data = wav.subarray(44);
  let frames = 0;
  for (const channel of [0, 1]) {
    for (let block = 0; block * 320 < data.length; block++) {
      let audible = 0;
      for (let i = 0; i < 160 && (block * 160 + i) * 2 + channel < data.length; i++) {
        const byte = data[(block * 160 + i) * 2 + channel]!;
        if (byte !== 0xff && byte !== 0x7f) audible++;
      }
      if (audible >= 80) frames++;
    }
  }
  return frames;
}
