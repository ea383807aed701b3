// Provides the mediasoup worker binary: the one the operator names, a cached build, or a
// build from the worker sources that ship inside the mediasoup npm package, linked
// against Debian's system libraries through the shim subprojects beside this file.
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, SetupError, step } from './log.mjs';

const shimsDir = fileURLToPath(new URL('../mediasoup-worker/shims/', import.meta.url));

// NOTE: Debian's meson (1.0) is older than mediasoup's `meson_version: '>= 1.1.0'`.
const MESON_VERSION = '1.12.1';
const NINJA_VERSION = '1.13.2';

/** Wrap name (subprojects/<name>.wrap) -> shim folder under shims/. */
const SHIMS = {
  'abseil-cpp': 'abseil-cpp',
  flatbuffers: 'flatbuffers',
  libsrtp3: 'libsrtp3',
  libuv: 'libuv',
  openssl: 'openssl',
  'unordered-dense': 'unordered-dense',
};

// mediasoup's BIO callback compares the operation with `==`, so with Debian's KTLS-enabled
// OpenSSL the BIO_CB_RETURN|BIO_CB_CTRL call returns 1 instead of the real result, libssl
// never allocates its write buffer and the worker crashes at the first DTLS handshake.
const BIO_PATCH = {
  file: 'src/RTC/DtlsTransport.cpp',
  from: '(operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1',
  to: '((operationType & BIO_CB_RETURN) != 0) ? static_cast<long>(ret) : 1',
};

function filesHash(dir) {
  const hash = createHash('sha256');
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else hash.update(p.slice(dir.length)).update(readFileSync(p));
    }
  };
  walk(dir);
  hash.update(JSON.stringify(BIO_PATCH));
  return hash.digest('hex').slice(0, 12);
}

/** Where the cached worker for this mediasoup version and these shims lives. */
export function cachedWorkerPath(cacheDir, mediasoupVersion) {
  return join(
    cacheDir,
    'mediasoup-worker',
    `${mediasoupVersion}-${filesHash(shimsDir)}`,
    'mediasoup-worker',
  );
}

async function ensureMeson(cacheDir) {
  const venv = join(cacheDir, 'tools', `meson-${MESON_VERSION}-ninja-${NINJA_VERSION}`);
  const bin = join(venv, 'bin');
  if (existsSync(join(bin, 'meson')) && existsSync(join(bin, 'ninja'))) return bin;
  step(`installing meson ${MESON_VERSION} and ninja ${NINJA_VERSION} (pip, into ${venv})`);
  rmSync(venv, { recursive: true, force: true });
  await run('python3', ['-m', 'venv', venv], { quiet: true });
  await run(
    join(bin, 'pip'),
    ['install', '--quiet', `meson==${MESON_VERSION}`, `ninja==${NINJA_VERSION}`],
    {
      quiet: true,
    },
  );
  return bin;
}

function prepareSources(mediasoupDir, buildRoot) {
  rmSync(buildRoot, { recursive: true, force: true });
  mkdirSync(buildRoot, { recursive: true });
  const worker = join(buildRoot, 'worker');
  cpSync(join(mediasoupDir, 'worker'), worker, { recursive: true });

  const patched = join(worker, BIO_PATCH.file);
  const source = readFileSync(patched, 'utf8');
  if (!source.includes(BIO_PATCH.from)) {
    throw new SetupError(
      `${BIO_PATCH.file} no longer contains the BIO callback line Earshot patches; ` +
        'check whether this mediasoup version still needs the fix and update scripts/setup/mediasoup-worker.mjs',
    );
  }
  writeFileSync(patched, source.replace(BIO_PATCH.from, BIO_PATCH.to));

  const subprojects = join(worker, 'subprojects');
  for (const [wrap, shim] of Object.entries(SHIMS)) {
    const wrapFile = readFileSync(join(subprojects, `${wrap}.wrap`), 'utf8');
    const directory = /^directory\s*=\s*(.+)$/m.exec(wrapFile)?.[1]?.trim();
    if (!directory) throw new SetupError(`subprojects/${wrap}.wrap has no directory entry`);
    const target = join(subprojects, directory);
    cpSync(join(shimsDir, shim), target, { recursive: true });
    cpSync(join(shimsDir, 'common', 'dummy.c'), join(target, 'dummy.c'));
  }
  return worker;
}

/**
 * Builds mediasoup-worker from `mediasoupDir` (the installed npm package) into the cache
 * unless a build for this version and these shims is already there. Returns its path.
 */
export async function ensureMediasoupWorker({ cacheDir, mediasoupDir, jobs }) {
  const version = JSON.parse(readFileSync(join(mediasoupDir, 'package.json'), 'utf8')).version;
  const target = cachedWorkerPath(cacheDir, version);
  if (existsSync(target)) {
    step(`mediasoup-worker ${version}: using cached build ${target}`);
    return target;
  }
  step(
    `mediasoup-worker ${version}: no prebuilt worker here, building it from source (a few minutes, once)`,
  );
  const meson = await ensureMeson(cacheDir);
  const buildRoot = join(cacheDir, 'build', `mediasoup-${version}`);
  const worker = prepareSources(mediasoupDir, buildRoot);
  const env = { ...process.env, PATH: `${meson}:${process.env.PATH}` };
  const out = join(buildRoot, 'out');
  await run(
    join(meson, 'meson'),
    [
      'setup',
      out,
      worker,
      '--buildtype=release',
      '--wrap-mode=nodownload',
      '-Db_pie=true',
      '-Db_lto=false',
    ],
    { env, quiet: true },
  );
  step(`mediasoup-worker ${version}: compiling with ${jobs} job(s)`);
  await run(join(meson, 'ninja'), ['-C', out, '-j', String(jobs), 'mediasoup-worker'], {
    env,
    quiet: true,
  });
  mkdirSync(join(target, '..'), { recursive: true });
  const staged = `${target}.tmp-${process.pid}`;
  cpSync(join(out, 'mediasoup-worker'), staged);
  renameSync(staged, target);
  rmSync(buildRoot, { recursive: true, force: true });
  step(`mediasoup-worker ${version}: built and cached at ${target}`);
  return target;
}
