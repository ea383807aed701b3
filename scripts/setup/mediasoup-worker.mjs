// Provides the mediasoup worker binary: the one the operator names, a cached build, or a
// build from the worker sources that ship inside the mediasoup npm package, linked
// against Debian's system libraries through the shim subprojects beside this file, and
// against libsrtp built on OpenSSL from Debian's source of it where that can be fetched.
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
// NOTE: Debian's libsrtp2 is built on NSS, whose AES-CTR context libsrtp creates anew for
// every packet (PK11_CreateContextBySymKey in set_iv): the worker's dearest step for each
// listener's copy of a packet. The same release, from Debian's own source archive, built
// on OpenSSL keeps one cipher context a stream.
const LIBSRTP = {
  version: '2.5.0',
  path: 'pool/main/libs/libsrtp2/libsrtp2_2.5.0.orig.tar.gz',
  sha256: '8a43ef8e9ae2b665292591af62aa1a4ae41e468b6d98d8258f91478735da4e09',
  directory: 'libsrtp-2.5.0',
};

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

/**
 * Where the cached worker for this mediasoup version, these shims and this SRTP library
 * (`srtp`: 'openssl', the libsrtp built here, or 'debian', Debian's on NSS) lives.
 */
function cachedWorkerPath(cacheDir, mediasoupVersion, srtp) {
  const variant = srtp === 'openssl' ? `-srtp${LIBSRTP.version}-openssl` : '';
  return join(
    cacheDir,
    'mediasoup-worker',
    `${mediasoupVersion}-${filesHash(shimsDir)}${variant}`,
    'mediasoup-worker',
  );
}

/** The Debian archives apt is set to use (deb822 `URIs:` and one-line `deb` entries). */
function debianMirrors() {
  const found = [];
  const files = ['/etc/apt/sources.list'];
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d')) {
      if (f.endsWith('.sources') || f.endsWith('.list'))
        files.push(join('/etc/apt/sources.list.d', f));
    }
  } catch {
    // no such directory
  }
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(/^\s*URIs:\s*(.+)$/gm)) found.push(...m[1].trim().split(/\s+/));
    for (const m of text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm)) found.push(m[1]);
  }
  const archives = found.filter((u) => /^https?:\/\//.test(u) && !/security/.test(u));
  return [...new Set([...archives, 'http://deb.debian.org/debian'])].map((u) =>
    u.replace(/\/+$/, ''),
  );
}

/** Debian's libsrtp source, checked against its known digest; null where none answers. */
async function fetchLibsrtpSource() {
  for (const mirror of debianMirrors()) {
    try {
      const response = await fetch(`${mirror}/${LIBSRTP.path}`, {
        signal: AbortSignal.timeout(30_000),
      });
      if (!response.ok) continue;
      const body = Buffer.from(await response.arrayBuffer());
      if (createHash('sha256').update(body).digest('hex') === LIBSRTP.sha256) return body;
    } catch {
      // this mirror does not answer: the next
    }
  }
  return null;
}

/**
 * libsrtp on OpenSSL, static, installed under the cache: its prefix, or null where the
 * source cannot be fetched or built (the worker then links Debian's).
 */
async function ensureLibsrtp(cacheDir, meson, env) {
  const prefix = join(cacheDir, 'libsrtp', `${LIBSRTP.version}-openssl`);
  if (existsSync(join(prefix, 'lib', 'libsrtp2.a'))) return prefix;
  step(`libsrtp ${LIBSRTP.version}: building it on OpenSSL from Debian's source`);
  const source = await fetchLibsrtpSource();
  if (!source) {
    step(
      `libsrtp ${LIBSRTP.version}: Debian's source archive did not answer; using Debian's libsrtp2 (NSS)`,
    );
    return null;
  }
  const buildRoot = join(cacheDir, 'build', `libsrtp-${LIBSRTP.version}`);
  rmSync(buildRoot, { recursive: true, force: true });
  mkdirSync(buildRoot, { recursive: true });
  const tarball = join(buildRoot, 'source.tar.gz');
  writeFileSync(tarball, source);
  const staged = `${prefix}.tmp-${process.pid}`;
  try {
    await run('tar', ['xzf', tarball, '-C', buildRoot], { quiet: true });
    const out = join(buildRoot, 'out');
    await run(
      join(meson, 'meson'),
      [
        'setup',
        out,
        join(buildRoot, LIBSRTP.directory),
        '--buildtype=release',
        '--default-library=static',
        `--prefix=${staged}`,
        '--libdir=lib',
        '-Db_staticpic=true',
        '-Dcrypto-library=openssl',
        '-Dcrypto-library-kdf=disabled',
        '-Dtests=disabled',
        '-Dpcap-tests=disabled',
        '-Ddoc=disabled',
      ],
      { env, quiet: true },
    );
    await run(join(meson, 'ninja'), ['-C', out, 'install'], { env, quiet: true });
  } catch (error) {
    rmSync(staged, { recursive: true, force: true });
    step(
      `libsrtp ${LIBSRTP.version}: the build failed; using Debian's libsrtp2 (NSS)\n${error.message}`,
    );
    return null;
  } finally {
    rmSync(buildRoot, { recursive: true, force: true });
  }
  rmSync(prefix, { recursive: true, force: true });
  renameSync(staged, prefix);
  return prefix;
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

function prepareSources(mediasoupDir, buildRoot, srtpPrefix) {
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
    // The libsrtp3 shim reads where the libsrtp built here is (none: Debian's).
    if (shim === 'libsrtp3') writeFileSync(join(target, 'prefix.txt'), srtpPrefix ?? '');
  }
  return worker;
}

/**
 * Builds mediasoup-worker from `mediasoupDir` (the installed npm package) into the cache
 * unless a build for this version and these shims is already there. Returns its path.
 */
export async function ensureMediasoupWorker({ cacheDir, mediasoupDir, jobs }) {
  const version = JSON.parse(readFileSync(join(mediasoupDir, 'package.json'), 'utf8')).version;
  const best = cachedWorkerPath(cacheDir, version, 'openssl');
  if (existsSync(best)) {
    step(`mediasoup-worker ${version}: using cached build ${best}`);
    return best;
  }
  const meson = await ensureMeson(cacheDir);
  const env = { ...process.env, PATH: `${meson}:${process.env.PATH}` };
  const srtpPrefix = await ensureLibsrtp(cacheDir, meson, env);
  const target = srtpPrefix ? best : cachedWorkerPath(cacheDir, version, 'debian');
  if (existsSync(target)) {
    step(`mediasoup-worker ${version}: using cached build ${target}`);
    return target;
  }
  step(
    `mediasoup-worker ${version}: no prebuilt worker here, building it from source (a few minutes, once)`,
  );
  const buildRoot = join(cacheDir, 'build', `mediasoup-${version}`);
  const worker = prepareSources(mediasoupDir, buildRoot, srtpPrefix);
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
