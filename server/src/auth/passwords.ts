import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { UnavailableError } from '../errors.ts';

// NOTE: scrypt with N=2^15, r=8 (32 MiB, about 0.1 s on these machines): slow enough to
// make guessing expensive, quick enough for a sign-in. The parameters are stored with each
// hash, so that they can be raised later without invalidating existing passwords.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

// NOTE: hashing queues up behind one thread of its own; past this many waiting, sign-ins are
// refused (503) rather than piling up memory (32 MiB of scrypt state each).
const MAX_QUEUED = 64;

type Pending = { resolve: (key: Buffer) => void; reject: (error: Error) => void };
let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function hashingThread(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./passwordWorker.ts', import.meta.url));
  w.unref();
  w.on('message', (m: { id: number; key?: Uint8Array; error?: string }) => {
    const job = pending.get(m.id);
    if (!job) return;
    pending.delete(m.id);
    if (m.key) job.resolve(Buffer.from(m.key));
    else job.reject(new Error(m.error ?? 'scrypt failed'));
  });
  const fail = (error: Error) => {
    worker = undefined;
    for (const job of pending.values()) job.reject(error);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', () => fail(new Error('the password hashing thread stopped')));
  worker = w;
  return w;
}

function derive(
  password: string,
  salt: Buffer,
  options: { N: number; r: number; p: number },
): Promise<Buffer> {
  if (pending.size >= MAX_QUEUED)
    return Promise.reject(new UnavailableError('sign-in is busy: try again in a moment'));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    hashingThread().postMessage({
      id,
      password: password.normalize('NFKC'),
      salt,
      keyLength: KEY_LENGTH,
      options: { ...options, maxmem: 256 * 1024 * 1024 },
    });
  });
}

/** `scrypt$N$r$p$salt$hash` (salt and hash in base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return [
    'scrypt',
    PARAMS.N,
    PARAMS.r,
    PARAMS.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/** Whether `password` matches `stored`; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  if (expected.length !== KEY_LENGTH) return false;
  const key = await derive(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(key, expected);
}

/** A hash no password matches, verified against when a username is unknown (equal timing). */
export const UNKNOWN_USER_HASH = `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_LENGTH).toString('base64url')}`;
