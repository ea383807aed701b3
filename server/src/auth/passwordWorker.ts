// The password hashing thread: scrypt runs here, synchronously, so that sign-ins never
// take the libuv pool that recording writes and file reads share.
import { scryptSync } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

interface Job {
  id: number;
  password: string;
  salt: Uint8Array;
  keyLength: number;
  options: { N: number; r: number; p: number; maxmem: number };
}

parentPort?.on('message', (job: Job) => {
  try {
    const key = scryptSync(job.password, job.salt, job.keyLength, job.options);
    parentPort!.postMessage({ id: job.id, key });
  } catch (error) {
    parentPort!.postMessage({ id: job.id, error: (error as Error).message });
  }
});
