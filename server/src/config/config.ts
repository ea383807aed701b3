import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { isIP } from 'node:net';
import { Cidr } from '@earshot/shared';
import { z } from 'zod';
import type { UdpReaderChoice } from '../ingest/udp.ts';
import type { MediaPriorityChoice } from '../ingest/thread/MediaPriority.ts';

const port = (name: string, min = 1) =>
  z.coerce
    .number({ error: `${name} must be a port number` })
    .int(`${name} must be a whole port number`)
    .min(min, `${name} must be at least ${min}`)
    .max(65535, `${name} must be at most 65535`);

const onOff = z.enum(['on', 'off'], { error: 'must be "on" or "off"' });

const ipv4 = z.string().regex(/^(\d{1,3})(\.\d{1,3}){3}$/, 'must be an IPv4 address');

/** `udp:0.0.0.0:5060,tcp:[::]:5060`: where SIPREC listens. */
const sipListen = z.string().transform((value, ctx) => {
  const out: { transport: 'udp' | 'tcp'; host: string; port: number }[] = [];
  for (const item of value
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^(udp|tcp):(\[[0-9a-fA-F:.]+\]|[^:]+):(\d{1,5})$/i.exec(item);
    const host = m?.[2]?.replace(/^\[|\]$/g, '');
    const port = Number(m?.[3]);
    if (!m || !host || isIP(host) === 0 || port > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: `"${item}" is not transport:address:port (e.g. udp:0.0.0.0:5060,tcp:0.0.0.0:5060)`,
      });
      return z.NEVER;
    }
    out.push({ transport: m[1]!.toLowerCase() as 'udp' | 'tcp', host, port });
  }
  if (out.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'names no listener (e.g. udp:0.0.0.0:5060)' });
    return z.NEVER;
  }
  return out;
});

/** `192.0.2.10,198.51.100.0/24`: the addresses allowed to send SIPREC INVITEs. */
const cidrList = z.string().transform((value, ctx) => {
  const items = value
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!Cidr.safeParse(item).success) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not an IP address or a CIDR range` });
      return z.NEVER;
    }
  }
  return items;
});

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Every environment variable Earshot reads, with its default. */
const EnvSchema = z
  .object({
    // NOTE: PORT=0 asks the OS for a free port (tests, side-by-side instances).
    PORT: port('PORT', 0).default(8080),
    HOST: z.string().min(1).default('127.0.0.1'),
    EARSHOT_DATA_DIR: z.string().min(1).default('data'),
    EARSHOT_DATABASE_URL: z
      .string()
      .regex(
        /^postgres(ql)?:\/\/\S+$/,
        'must be a postgres:// URL (postgres://user:password@host:5432/earshot)',
      )
      .optional(),
    EARSHOT_REDIS_URL: z
      .string()
      .regex(
        /^rediss?:\/\/\S+$/,
        'must be a redis:// or rediss:// URL (redis://:password@host:6379/0)',
      )
      .optional(),
    EARSHOT_NODE_ID: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        'must be 1-64 letters, digits, dots, dashes or underscores',
      )
      .optional(),
    EARSHOT_NODE_URL: z
      .string()
      .regex(
        /^https?:\/\/[^/\s?#]+\/?$/,
        'must be the http(s) address the other nodes reach this one at (http://10.0.0.5:8080)',
      )
      .optional(),
    EARSHOT_NODE_EXPIRY_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int()
      .min(500, 'must be at least 500')
      .max(120_000, 'must be at most 120000')
      .default(5000),
    EARSHOT_INGEST_TOKEN: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
    EARSHOT_ALLOWED_HOSTS: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean),
      )
      .refine(
        (hosts) =>
          hosts.length > 0 && hosts.every((h) => /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/.test(h)),
        'must be host names or addresses, comma-separated (no ports), e.g. earshot.example.com',
      )
      .optional(),
    EARSHOT_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
    EARSHOT_ADMIN_PASSWORD: z
      .string()
      .min(10, 'must be at least 10 characters')
      .max(256, 'must be at most 256 characters')
      .optional(),
    EARSHOT_SESSION_HOURS: z.coerce
      .number({ error: 'must be a number of hours' })
      .min(0.01, 'must be at least 0.01')
      .max(720, 'must be at most 720 (30 days)')
      .default(12),
    EARSHOT_DEMO_USERS: onOff.optional(),
    EARSHOT_TRUST_PROXY: onOff.default('off'),
    EARSHOT_SIMULATOR: onOff.default('off'),
    EARSHOT_SIM_SEED: z.coerce.number().int().min(0).default(1),
    EARSHOT_SIM_CONCURRENT_CALLS: z.coerce.number().int().min(1).max(500).default(24),
    EARSHOT_MEDIASOUP_WORKERS: z.coerce
      .number()
      .int()
      .min(1)
      .max(64)
      .default(availableParallelism()),
    EARSHOT_MEDIA_THREADS: z.coerce.number().int().min(1).max(64).default(availableParallelism()),
    EARSHOT_RTP_READER: z.enum(['auto', 'udpmux', 'dgram']).default('auto'),
    EARSHOT_MEDIA_PRIORITY: z.enum(['idle', 'low']).default('low'),
    MEDIASOUP_WORKER_BIN: z.string().min(1).optional(),
    EARSHOT_RTC_LISTEN_IP: ipv4.default('127.0.0.1'),
    EARSHOT_RTC_ANNOUNCED_IP: z.string().min(1).optional(),
    EARSHOT_RTC_MIN_PORT: port('EARSHOT_RTC_MIN_PORT').default(40000),
    EARSHOT_RTC_MAX_PORT: port('EARSHOT_RTC_MAX_PORT').default(44999),
    EARSHOT_RTP_LISTEN_IP: ipv4.default('127.0.0.1'),
    EARSHOT_RTP_ANNOUNCED_IP: z.string().min(1).optional(),
    EARSHOT_RTP_MIN_PORT: port('EARSHOT_RTP_MIN_PORT').default(45000),
    EARSHOT_RTP_MAX_PORT: port('EARSHOT_RTP_MAX_PORT').default(49999),
    EARSHOT_RECORDING_RETENTION_DAYS: z.coerce
      .number({ error: 'must be a number of days' })
      .min(0, 'must not be negative')
      .max(36500)
      .optional(),
    EARSHOT_SOCKET_BUFFER_BYTES: z.coerce
      .number()
      .int()
      .min(16_384)
      .max(1024 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    EARSHOT_MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).max(1000).default(20),
    EARSHOT_MAX_CALLS: z.coerce.number().int().min(1).max(100_000).default(2000),
    EARSHOT_INGEST_CALLS_PER_SECOND: z.coerce.number().min(0.1).max(10_000).default(50),
    EARSHOT_RTP_QUARANTINE_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int()
      .min(0, 'must not be negative')
      .max(3_600_000, 'must be at most 3600000 (an hour)')
      .default(60_000),
    EARSHOT_SIPREC_LISTEN: sipListen.optional(),
    EARSHOT_SIPREC_PEERS: cidrList.optional(),
    EARSHOT_PUBLIC_URL: z
      .string()
      .regex(
        /^(https?|wss?):\/\/[^/\s?#]+(\/[^\s?#]*)?$/,
        'must be an absolute URL such as https://earshot.example.com',
      )
      .transform((v) => new URL(v))
      .optional(),
    EARSHOT_SECRET_KEY: z
      .string()
      .refine(
        (v) => Buffer.from(v, 'base64').length === 32,
        'must be 32 bytes in base64 (openssl rand -base64 32)',
      )
      .transform((v) => Buffer.from(v, 'base64'))
      .optional(),
    EARSHOT_AUDIOHOOK_API_KEY: z
      .string()
      .min(16, 'must be at least 16 characters')
      .max(200)
      .optional(),
    EARSHOT_AUDIOHOOK_CLIENT_SECRET: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64 (as Genesys takes it)')
      .refine((v) => Buffer.from(v, 'base64').length >= 16, 'must decode to at least 16 bytes')
      .optional(),
    EARSHOT_TWILIO_ACCOUNT_SID: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio account SID (AC + 32 hex digits)')
      .optional(),
    EARSHOT_TWILIO_AUTH_TOKEN: z
      .string()
      .regex(/^[0-9a-fA-F]{32}$/, 'must be a Twilio auth token (32 hex digits)')
      .optional(),
    EARSHOT_STREAM_GRACE_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
    EARSHOT_CALL_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    EARSHOT_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    EARSHOT_LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  })
  .superRefine((env, ctx) => {
    for (const [a, b] of [
      ['EARSHOT_AUDIOHOOK_API_KEY', 'EARSHOT_AUDIOHOOK_CLIENT_SECRET'],
      ['EARSHOT_TWILIO_ACCOUNT_SID', 'EARSHOT_TWILIO_AUTH_TOKEN'],
    ] as const) {
      if ((env[a] === undefined) !== (env[b] === undefined))
        ctx.addIssue({
          code: 'custom',
          path: [env[a] === undefined ? a : b],
          message: `is needed with ${env[a] === undefined ? b : a}`,
        });
    }
    if (env.EARSHOT_RTC_MIN_PORT >= env.EARSHOT_RTC_MAX_PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['EARSHOT_RTC_MIN_PORT'],
        message: 'must be below EARSHOT_RTC_MAX_PORT',
      });
    }
    if (env.EARSHOT_RTP_MIN_PORT >= env.EARSHOT_RTP_MAX_PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['EARSHOT_RTP_MIN_PORT'],
        message: 'must be below EARSHOT_RTP_MAX_PORT',
      });
    }
    const overlap =
      env.EARSHOT_RTC_MIN_PORT <= env.EARSHOT_RTP_MAX_PORT &&
      env.EARSHOT_RTP_MIN_PORT <= env.EARSHOT_RTC_MAX_PORT;
    if (overlap && env.EARSHOT_RTC_LISTEN_IP === env.EARSHOT_RTP_LISTEN_IP) {
      ctx.addIssue({
        code: 'custom',
        path: ['EARSHOT_RTP_MIN_PORT'],
        message: 'the RTP ingest port range must not overlap the WebRTC (EARSHOT_RTC_*) range',
      });
    }
  });

export interface Config {
  http: {
    port: number;
    host: string;
    /** Host names the server answers to (DNS rebinding); null: any. */
    allowedHosts: string[] | null;
  };
  dataDir: string;
  /** PostgreSQL's URL; unset: the SQLite file in the data directory. */
  databaseUrl: string | undefined;
  /**
   * Several nodes joined through Redis (unset: one node alone): this node's name, where the
   * others reach its HTTP API (unset: its own listening address), and how long a node that
   * stopped beating still counts as alive.
   */
  cluster: {
    redisUrl: string;
    nodeId: string;
    nodeUrl: string | undefined;
    expiryMs: number;
  } | null;
  /** A bearer token for ingest routes besides those admins create (kept only in memory). */
  ingestToken: string | undefined;
  /** The bearer token `/metrics` and a detailed `/healthz` need (admins' sessions also do). */
  metricsToken: string | undefined;
  auth: {
    /** When set, the `admin` user exists with this password at start-up. */
    adminPassword: string | undefined;
    sessionTtlMs: number;
    /** Demo users for each role, with their passwords on the login page. */
    demoUsers: boolean;
    /** Behind a TLS-terminating proxy: trust X-Forwarded-Proto/-For (Secure cookies, client IPs). */
    trustProxy: boolean;
    /** Console sockets one user may have open at once. */
    maxSocketsPerUser: number;
    /** Bytes waiting to go to one console past which it is dropped (it does not read). */
    socketBufferBytes: number;
  };
  simulator: { enabled: boolean; seed: number; concurrentCalls: number };
  mediasoup: {
    workers: number;
    workerBin: string | undefined;
    listenIp: string;
    announcedIp: string | undefined;
    minPort: number;
    maxPort: number;
  };
  ingest: {
    listenIp: string;
    announcedIp: string | undefined;
    minPort: number;
    maxPort: number;
    idleTimeoutMs: number;
    /** How long a freed leg port must stay quiet before another call may have it. */
    quarantineMs: number;
    /** Live calls at most (every way in together). */
    maxCalls: number;
    /** New calls per second one ingest token may announce (a burst of twice that). */
    callsPerSecond: number;
    /** Threads that receive, check, meter, record and forward the legs' RTP. */
    threads: number;
    /** How those threads read their ports: the native batch reader, node:dgram, or auto. */
    reader: UdpReaderChoice;
    /** How those threads yield the core to the console: nice 10, or SCHED_IDLE while they keep up. */
    priority: MediaPriorityChoice;
  };
  /** SIPREC (unset: off): where it listens, and the peers allowed at first start. */
  siprec: {
    listen: { transport: 'udp' | 'tcp'; host: string; port: number }[];
    peers: string[];
  } | null;
  /** Recordings older than this many days are deleted (0: kept forever). */
  recordings: { retentionDays: number };
  /** Calls streamed over WebSocket (AudioHook, Twilio Media Streams). */
  streams: {
    /** The address the outside world uses (behind a TLS proxy); signatures cover it. */
    publicUrl: URL | undefined;
    audiohook: { apiKey: string; clientSecret: string } | undefined;
    twilio: { accountSid: string; authToken: string } | undefined;
    /** How long a dropped stream's call waits for it to come back. */
    graceMs: number;
  };
  /** The key that seals stored secrets; unset: a key file in the data directory. */
  secretKey: Buffer | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `auto`: readable lines on a terminal, JSON otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
}

/** A configuration that failed validation; the message names every bad variable. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment into a Config, or throws a ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): Config {
  // NOTE: an empty variable counts as unset, as shells and .env files commonly leave them.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '(environment)');
        return `${name}=${JSON.stringify(present[name] ?? '')}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  return {
    http: {
      port: e.PORT,
      host: e.HOST,
      // NOTE: bound to loopback, only loopback names can be this server: a page on another
      // name that resolves here (DNS rebinding) is refused. Elsewhere the operator names them.
      allowedHosts:
        e.EARSHOT_ALLOWED_HOSTS ??
        (LOOPBACK.has(e.HOST) ? ['localhost', '127.0.0.1', '[::1]'] : null),
    },
    dataDir: resolve(cwd, e.EARSHOT_DATA_DIR),
    databaseUrl: e.EARSHOT_DATABASE_URL,
    cluster: e.EARSHOT_REDIS_URL
      ? {
          redisUrl: e.EARSHOT_REDIS_URL,
          // NOTE: a host runs one node unless told otherwise; its name is the host's.
          nodeId:
            e.EARSHOT_NODE_ID ??
            hostname()
              .replace(/[^A-Za-z0-9._-]/g, '-')
              .slice(0, 64),
          nodeUrl: e.EARSHOT_NODE_URL?.replace(/\/$/, ''),
          expiryMs: e.EARSHOT_NODE_EXPIRY_MS,
        }
      : null,
    ingestToken: e.EARSHOT_INGEST_TOKEN,
    metricsToken: e.EARSHOT_METRICS_TOKEN,
    auth: {
      adminPassword: e.EARSHOT_ADMIN_PASSWORD,
      sessionTtlMs: e.EARSHOT_SESSION_HOURS * 3_600_000,
      // NOTE: demo users come with the demo simulator unless told otherwise.
      demoUsers: (e.EARSHOT_DEMO_USERS ?? e.EARSHOT_SIMULATOR) === 'on',
      trustProxy: e.EARSHOT_TRUST_PROXY === 'on',
      maxSocketsPerUser: e.EARSHOT_MAX_SOCKETS_PER_USER,
      socketBufferBytes: e.EARSHOT_SOCKET_BUFFER_BYTES,
    },
    simulator: {
      enabled: e.EARSHOT_SIMULATOR === 'on',
      seed: e.EARSHOT_SIM_SEED,
      concurrentCalls: e.EARSHOT_SIM_CONCURRENT_CALLS,
    },
    mediasoup: {
      workers: e.EARSHOT_MEDIASOUP_WORKERS,
      workerBin: e.MEDIASOUP_WORKER_BIN,
      listenIp: e.EARSHOT_RTC_LISTEN_IP,
      announcedIp: e.EARSHOT_RTC_ANNOUNCED_IP,
      minPort: e.EARSHOT_RTC_MIN_PORT,
      maxPort: e.EARSHOT_RTC_MAX_PORT,
    },
    ingest: {
      listenIp: e.EARSHOT_RTP_LISTEN_IP,
      announcedIp: e.EARSHOT_RTP_ANNOUNCED_IP,
      minPort: e.EARSHOT_RTP_MIN_PORT,
      maxPort: e.EARSHOT_RTP_MAX_PORT,
      idleTimeoutMs: e.EARSHOT_CALL_IDLE_TIMEOUT_MS,
      quarantineMs: e.EARSHOT_RTP_QUARANTINE_MS,
      maxCalls: e.EARSHOT_MAX_CALLS,
      callsPerSecond: e.EARSHOT_INGEST_CALLS_PER_SECOND,
      threads: e.EARSHOT_MEDIA_THREADS,
      reader: e.EARSHOT_RTP_READER,
      priority: e.EARSHOT_MEDIA_PRIORITY,
    },
    siprec: e.EARSHOT_SIPREC_LISTEN
      ? { listen: e.EARSHOT_SIPREC_LISTEN, peers: e.EARSHOT_SIPREC_PEERS ?? [] }
      : null,
    // NOTE: the demo records every simulated call (about 58 MB per call-hour): unless told
    // otherwise it keeps three hours of them, not the production default of 90 days.
    recordings: {
      retentionDays:
        e.EARSHOT_RECORDING_RETENTION_DAYS ?? (e.EARSHOT_SIMULATOR === 'on' ? 0.125 : 90),
    },
    streams: {
      publicUrl: e.EARSHOT_PUBLIC_URL,
      audiohook:
        e.EARSHOT_AUDIOHOOK_API_KEY && e.EARSHOT_AUDIOHOOK_CLIENT_SECRET
          ? { apiKey: e.EARSHOT_AUDIOHOOK_API_KEY, clientSecret: e.EARSHOT_AUDIOHOOK_CLIENT_SECRET }
          : undefined,
      twilio:
        e.EARSHOT_TWILIO_ACCOUNT_SID && e.EARSHOT_TWILIO_AUTH_TOKEN
          ? { accountSid: e.EARSHOT_TWILIO_ACCOUNT_SID, authToken: e.EARSHOT_TWILIO_AUTH_TOKEN }
          : undefined,
      graceMs: e.EARSHOT_STREAM_GRACE_MS,
    },
    secretKey: e.EARSHOT_SECRET_KEY,
    logLevel: e.EARSHOT_LOG_LEVEL,
    logFormat: e.EARSHOT_LOG_FORMAT,
  };
}
