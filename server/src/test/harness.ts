// Test helpers: a real Earshot (HTTP, Socket.IO, mediasoup worker, SQLite) on port 0 with
// a throwaway data dir, and real RTP senders on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildRtp,
  type Call,
  linearToAlaw,
  linearToUlaw,
  type Codec,
  type EventsResult,
  type Org,
  type RoleGrant,
  ALAW_TO_LINEAR,
  ULAW_TO_LINEAR,
} from '@earshot/shared';
import OpusScript from 'opusscript';
import { loadConfig } from '../config/config.ts';
import { databaseFor, freePort } from './postgres.ts';

export { freePort };
import { connectConsole, type ConsoleClient } from './consoleClient.ts';
import { startEarshot, type Earshot } from '../Earshot.ts';
import { createRootLogger } from '../log/logger.ts';
import type { LegCounters } from '../ingest/LegIngest.ts';

export const TEST_TOKEN = 'test-ingest-token-0123456789';
/** The token `/metrics` asks of monitoring systems in tests. */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789';
/** Headers that open `/metrics` and the detailed `/healthz`. */
export const METRICS_AUTH = { authorization: `Bearer ${TEST_METRICS_TOKEN}` };

export const TEST_ORG: Org = {
  regions: [
    { id: 'upper-midwest', name: 'Upper Midwest' },
    { id: 'new-york-city', name: 'New York City' },
  ],
  centers: [
    {
      id: 'mn-minneapolis',
      name: 'Minneapolis',
      regionId: 'upper-midwest',
      timeZone: 'America/Chicago',
    },
    {
      id: 'ny-brooklyn',
      name: 'Brooklyn',
      regionId: 'new-york-city',
      timeZone: 'America/New_York',
    },
  ],
  teams: [
    {
      id: 'mpls-care-1',
      name: 'Minneapolis Care 1',
      centerId: 'mn-minneapolis',
      specialty: false,
      hours: { kind: 'always' },
    },
    {
      id: 'bk-billing',
      name: 'Brooklyn Billing',
      centerId: 'ny-brooklyn',
      specialty: true,
      hours: { kind: 'daily', open: '07:00', close: '21:00' },
    },
  ],
  agents: [
    { id: 'a-olsen', name: 'Kari Olsen', teamId: 'mpls-care-1' },
    { id: 'a-rivera', name: 'Luis Rivera', teamId: 'bk-billing' },
  ],
};

/** A Minneapolis call of the test org, as an SBC announces it. */
export const TEST_CALL = {
  center: 'mn-minneapolis',
  region: 'upper-midwest',
  team: 'mpls-care-1',
  agent: { id: 'a-olsen', name: 'Kari Olsen' },
  customer: { number: '+16125550142' },
  codec: 'PCMU',
} as const;

export const TEST_PASSWORD = 'test-password-0123';

/** One user per role and scope, made in every test server (password TEST_PASSWORD). */
export const TEST_USERS = {
  admin: { name: 'Ada Admin', roles: [{ role: 'admin' }] },
  exec: { name: 'Dana Exec', roles: [{ role: 'executive' }] },
  lead: { name: 'Lee Lead', roles: [{ role: 'teamLead', teams: ['mpls-care-1'] }] },
  'lead-bk': { name: 'Bea Lead', roles: [{ role: 'teamLead', teams: ['bk-billing'] }] },
  qa: { name: 'Quinn QA', roles: [{ role: 'qa' }] },
  'qa-bk': { name: 'Bo QA', roles: [{ role: 'qa', centers: ['ny-brooklyn'] }] },
  'qa-lead': { name: 'Lou QA Lead', roles: [{ role: 'qa', lead: true }] },
  agent: { name: 'Kari Olsen', roles: [{ role: 'agent', agent: 'a-olsen' }] },
  'agent-bk': { name: 'Luis Rivera', roles: [{ role: 'agent', agent: 'a-rivera' }] },
} satisfies Record<string, { name: string; roles: RoleGrant[] }>;
export type TestUser = keyof typeof TEST_USERS;

export interface ApiOptions {
  /** The ingest token to send (TEST_TOKEN unless said); null sends none. */
  token?: string | null;
  /** Who is signed in (`exec` unless said); null sends no session cookie. */
  as?: TestUser | null;
  /** The Origin header of a change (the server's own unless said); null sends none. */
  origin?: string | null;
  /** A body sent as is. */
  raw?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  earshot: Earshot;
  dataDir: string;
  /** Calls the API as a signed-in user and with the ingest token (see ApiOptions). */
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    options?: ApiOptions,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  /** The session cookie of a test user (signing in once through the API). */
  cookie(user: TestUser): Promise<string>;
  /** Signs in again: a fresh session for a user whose earlier one ended. */
  signIn(user: TestUser): Promise<string>;
  /** A user's id. */
  userId(user: TestUser): string;
  /** A console signed in as a test user (a real Socket.IO client); the caller closes it. */
  console(user: TestUser): Promise<ConsoleClient>;
  /**
   * Everything stored that a request could change, as one string: compare two to prove a
   * refused request changed nothing (the audit trail and sessions are left out: refusals
   * are recorded, and signing in opens sessions).
   */
  snapshot(): Promise<string>;
  /** Posts contact-center events with the test ingest token, as an ACD would. */
  events(list: unknown[]): Promise<{ status: number; body: EventsResult }>;
  /** Announces a call on the test org and returns its id and leg ports. */
  createCall(
    codec?: Codec,
    extra?: Record<string, unknown>,
  ): Promise<{
    callId: string;
    legs: { agent: { ip: string; port: number }; customer: { ip: string; port: number } };
  }>;
  /** Polls `GET /api/v1/calls/:id` until `done` holds for it. */
  waitForCall(
    id: string,
    done: (call: Call) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<Call>;
  close(): Promise<void>;
}

/**
 * When the suite runs on PostgreSQL (EARSHOT_TEST_DATABASE=postgres: the global set-up
 * started a private cluster), the database of a data directory; on SQLite, nothing.
 */
async function testDatabase(
  dataDir: string,
  env: Record<string, string>,
): Promise<{ EARSHOT_DATABASE_URL?: string }> {
  const admin = process.env.EARSHOT_TEST_PG_URL;
  if (!admin || env.EARSHOT_DATABASE_URL) return {};
  mkdirSync(dataDir, { recursive: true });
  return { EARSHOT_DATABASE_URL: await databaseFor(dataDir, admin) };
}

/** Starts a real Earshot for one test file. */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { clientDist?: string } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'earshot-test-'));
  const database = await testDatabase(env.EARSHOT_DATA_DIR ?? dataDir, env);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    EARSHOT_DATA_DIR: dataDir,
    EARSHOT_INGEST_TOKEN: TEST_TOKEN,
    EARSHOT_METRICS_TOKEN: TEST_METRICS_TOKEN,
    EARSHOT_MEDIASOUP_WORKERS: '1',
    MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN,
    EARSHOT_LOG_LEVEL: process.env.EARSHOT_TEST_LOG_LEVEL ?? 'silent',
    ...database,
    ...env,
  });
  const earshot = await startEarshot(config, createRootLogger(config.logLevel), {
    clientDist: options.clientDist ?? join(dataDir, 'no-client'),
  });
  // A user's sign-in, shared by the requests made while it is under way.
  const cookies = new Map<TestUser, Promise<string>>();
  const signIn = (user: TestUser) => {
    const cookie = signInAt(earshot.url, user, TEST_PASSWORD);
    cookies.set(user, cookie);
    cookie.catch(() => cookies.delete(user));
    return cookie;
  };
  const cookie = (user: TestUser) => cookies.get(user) ?? signIn(user);
  const api: TestServer['api'] = async (method, path, body, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? TEST_TOKEN : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const as = options.as === undefined ? 'exec' : options.as;
    if (as !== null) headers.cookie = await cookie(as);
    const origin = options.origin === undefined ? earshot.url : options.origin;
    if (origin !== null && method !== 'GET') headers.origin = origin;
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${earshot.url}${path}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (CSV, WAV): the text as it came
    }
    return { status: response.status, body: parsed as never, headers: response.headers };
  };
  const ids = new Map<TestUser, string>();
  await earshot.auth.ensureAdmin('admin', TEST_PASSWORD);
  const put = await api('PUT', '/api/v1/org', TEST_ORG, { as: 'admin' });
  if (put.status !== 200) throw new Error(`test org rejected: ${JSON.stringify(put.body)}`);
  for (const [username, user] of Object.entries(TEST_USERS) as [
    TestUser,
    (typeof TEST_USERS)[TestUser],
  ][]) {
    // A server started again on the same data dir has its users already.
    const made =
      (await earshot.auth.list()).find((u) => u.username === username) ??
      (await earshot.auth.create(
        { username, name: user.name, password: TEST_PASSWORD, roles: user.roles },
        { id: 'test', name: 'test' },
      ));
    ids.set(username, made.id);
  }
  return {
    earshot,
    dataDir,
    api,
    cookie,
    signIn,
    userId: (user) => ids.get(user)!,
    console: async (user) => connectConsole(earshot.url, await cookie(user)),
    async snapshot() {
      const tables = await earshot.db.all<{ name: string }>(
        config.databaseUrl
          ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
          : "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
      );
      const parts: unknown[] = [earshot.calls.list().map((c) => [c.id, c.state, c.listeners])];
      for (const { name } of tables) {
        if (['audit', 'sessions', 'schema_migrations'].includes(name)) continue;
        // A live call's row changes as its audio flows: what a request could change is kept.
        const columns =
          name === 'calls' ? 'id, ended_at, end_reason, reviewed_at, reviewed_by' : '*';
        parts.push(name, await earshot.db.all(`SELECT ${columns} FROM ${name} ORDER BY 1`));
      }
      return JSON.stringify(parts);
    },
    events: (list) => api<EventsResult>('POST', '/api/v1/events', { events: list }, { as: null }),
    async createCall(codec = 'PCMU', extra = {}) {
      const res = await api<{
        callId: string;
        legs: { agent: { ip: string; port: number }; customer: { ip: string; port: number } };
      }>('POST', '/api/v1/calls', { ...TEST_CALL, codec, ...extra });
      if (res.status !== 201)
        throw new Error(`call rejected: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    waitForCall(id, done, what, timeoutMs = 3000) {
      return eventually(
        async () => {
          const call = (await api<Call>('GET', `/api/v1/calls/${id}`)).body;
          return done(call) ? call : undefined;
        },
        timeoutMs,
        what,
      );
    },
    async close() {
      await earshot.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { DEMO_PASSWORD } from '../auth/AuthService.ts';

/** Signs in at a server's URL; the session cookie (`name=value`). */
export async function signInAt(url: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200)
    throw new Error(`${username} could not sign in: ${await response.text()}`);
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** A UDP socket on loopback, closed by `close()`. */
export async function udpSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

export interface ToneOptions {
  codec: Codec;
  payloadType?: number;
  /** Hz. */
  frequency: number;
  /** Peak amplitude, 0..1 of full scale. */
  amplitude: number;
  packets: number;
  ssrc?: number;
  firstSequence?: number;
}

/** Encodes 20 ms frames of a sine tone as RTP payloads of `codec`. */
export function tonePayloads(options: ToneOptions): Uint8Array[] {
  const rate = options.codec === 'opus' ? 48000 : 8000;
  const frame = rate / 50;
  const opus =
    options.codec === 'opus' ? new OpusScript(48000, 1, OpusScript.Application.VOIP) : undefined;
  const payloads: Uint8Array[] = [];
  for (let p = 0; p < options.packets; p++) {
    const pcm = new Int16Array(frame);
    for (let i = 0; i < frame; i++) {
      pcm[i] = Math.round(
        32767 *
          options.amplitude *
          Math.sin((2 * Math.PI * options.frequency * (p * frame + i)) / rate),
      );
    }
    if (opus) payloads.push(new Uint8Array(opus.encode(Buffer.from(pcm.buffer), frame)));
    else
      payloads.push(Uint8Array.from(pcm, options.codec === 'PCMU' ? linearToUlaw : linearToAlaw));
  }
  opus?.delete();
  return payloads;
}

/** Sends a tone as paced RTP (one packet per 20 ms) to `port` on loopback. */
export async function sendTone(socket: Socket, port: number, options: ToneOptions): Promise<void> {
  const payloads = tonePayloads(options);
  const pt = options.payloadType ?? { PCMU: 0, PCMA: 8, opus: 111 }[options.codec];
  const step = options.codec === 'opus' ? 960 : 160;
  const ssrc = options.ssrc ?? 0x1234;
  const start = Date.now();
  for (const [n, payload] of payloads.entries()) {
    const wait = start + n * 20 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const packet = buildRtp(
      {
        payloadType: pt,
        sequenceNumber: ((options.firstSequence ?? 1000) + n) & 0xffff,
        timestamp: n * step,
        ssrc,
      },
      payload,
    );
    await new Promise<void>((resolve, reject) =>
      socket.send(packet, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
  }
}

/**
 * Streams a tone as paced RTP until `stop()` or `maxSeconds` (a bound, so that a test
 * that forgets to stop cannot send forever).
 */
export function streamTone(
  socket: Socket,
  port: number,
  options: Omit<ToneOptions, 'packets'> & { maxSeconds?: number },
): { stop(): void; done: Promise<void> } {
  const step = options.codec === 'opus' ? 960 : 160;
  const pt = options.payloadType ?? { PCMU: 0, PCMA: 8, opus: 111 }[options.codec];
  // One second of tone, repeated: a whole number of cycles keeps it seamless.
  const second = tonePayloads({ ...options, packets: 50 });
  const total = Math.round((options.maxSeconds ?? 60) * 50);
  let stopped = false;
  const done = (async () => {
    const start = Date.now();
    for (let n = 0; n < total && !stopped; n++) {
      const wait = start + n * 20 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const packet = buildRtp(
        {
          payloadType: pt,
          sequenceNumber: ((options.firstSequence ?? 0) + n) & 0xffff,
          timestamp: n * step,
          ssrc: options.ssrc ?? 0x1234,
        },
        second[n % 50]!,
      );
      try {
        socket.send(packet, port, '127.0.0.1');
      } catch {
        return; // the socket was closed under the stream: it is over
      }
    }
  })();
  return {
    stop() {
      stopped = true;
    },
    done,
  };
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. */
/** A live call leg's counters as its media thread has them now. */
export async function legCounters(
  server: TestServer,
  callId: string,
  leg: 'agent' | 'customer',
): Promise<LegCounters> {
  const ingest = server.earshot.calls.live(callId)?.legs.get(leg);
  if (!ingest) throw new Error(`no live call ${callId}`);
  await ingest.refresh();
  return ingest.snapshot();
}

/**
 * Consumes both legs of a live call on a DirectTransport, as a listener would: a leg's
 * packets are forwarded to its mediasoup producer only while the leg has a consumer.
 * Resolves once the media thread has been told.
 */
export async function consumeLegs(server: TestServer, callId: string): Promise<void> {
  const tap = server.earshot.calls.live(callId)?.tap;
  if (!tap) throw new Error(`call ${callId} is not tapped`);
  const transport = await tap.router.createDirectTransport();
  for (const { producer } of tap.legs.values())
    await transport.consume({
      producerId: producer.id,
      rtpCapabilities: tap.router.rtpCapabilities,
    });
  await server.earshot.media.sample();
}

export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A decoded stereo G.711 WAV (as Earshot stores recordings). */
export interface DecodedWav {
  format: number;
  channels: number;
  sampleRate: number;
  left: Int16Array;
  right: Int16Array;
}

/** Decodes a µ-law/A-law stereo WAV into linear samples per channel. */
export function decodeWav(wav: Buffer): DecodedWav {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('not a WAV file');
  const format = wav.readUInt16LE(20);
  const channels = wav.readUInt16LE(22);
  const sampleRate = wav.readUInt32LE(24);
  const size = wav.readUInt32LE(40);
  const data = wav.subarray(44, 44 + size);
  const table = format === 7 ? ULAW_TO_LINEAR : ALAW_TO_LINEAR;
  const frames = Math.floor(data.length / channels);
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = table[data[i * channels]!]!;
    right[i] = table[data[i * channels + channels - 1]!]!;
  }
  return { format, channels, sampleRate, left, right };
}

/** A call's recording as a QA reviewer fetches it, decoded (polling until it is there). */
export function recordingOf(server: TestServer, callId: string): Promise<DecodedWav> {
  return eventually(async () => {
    const r = await fetch(`${server.earshot.url}/api/v1/calls/${callId}/recording`, {
      headers: { cookie: await server.cookie('qa') },
    });
    return r.status === 200 ? decodeWav(Buffer.from(await r.arrayBuffer())) : undefined;
  });
}

/** The frequency of a tone in 8 kHz samples, by zero crossings. */
export function toneFrequency(samples: Int16Array, rate = 8000): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++;
  return (crossings / 2) * (rate / samples.length);
}

/** Where a loud sound starts within 100 ms either side of sample `expected`, or -1. */
export function onsetNear(samples: Int16Array, expected: number, threshold = 3000): number {
  for (let i = Math.max(0, expected - 800); i < expected + 800; i++)
    if (Math.abs(samples[i]!) > threshold) return i;
  return -1;
}

/** The loudest sample of a span (near 0: silence). */
export const peak = (samples: Int16Array): number =>
  samples.reduce((max, x) => Math.max(max, Math.abs(x)), 0);

/** 6,000 samples of a channel from just after its first loud sample (where a tone starts). */
export function voiced(samples: Int16Array): Int16Array {
  const first = samples.findIndex((x) => Math.abs(x) > 2000);
  return samples.subarray(first + 400, first + 6400);
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
}

/**
 * Runs Earshot as its own process (as `npm start` does) and waits until it answers; with
 * `cpu`, pinned to that core (its mediasoup workers with it) by taskset.
 */
export async function spawnServer(
  env: Record<string, string>,
  options: { cpu?: number } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const database = env.EARSHOT_DATA_DIR ? await testDatabase(env.EARSHOT_DATA_DIR, env) : {};
  const main = fileURLToPath(new URL('../main.ts', import.meta.url));
  const [command, ...args] =
    options.cpu === undefined
      ? [process.execPath, main]
      : ['taskset', '-c', String(options.cpu), process.execPath, main];
  const child = spawn(command!, args, {
    env: {
      ...process.env,
      PORT: String(port),
      EARSHOT_SIMULATOR: 'off',
      EARSHOT_LOG_LEVEL: 'warn',
      ...database,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not start within 20 s');
}
