#!/usr/bin/env node
// The one entry point behind `npm start`, `npm test` and `npm run bench`: it installs what
// is missing (Node >= 22, pnpm, Debian packages, dependencies, the mediasoup worker, the
// console bundle), reuses what is there, then runs the task under the project's Node.
// Written in plain JavaScript for the machine's own Node, whatever its age.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackages } from './setup/apt.mjs';
import { run, SetupError, step } from './setup/log.mjs';
import { ensureMediasoupWorker } from './setup/mediasoup-worker.mjs';
import { ensureUdpMux } from './setup/native.mjs';
import { ensureNode } from './setup/node-runtime.mjs';
import { ensurePnpm } from './setup/pnpm.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const toolsDir = join(root, '.earshot');
const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'earshot');

// Build tools and headers for the mediasoup worker, and the shared libraries it links.
const WORKER_BUILD_PACKAGES = [
  'g++',
  'make',
  'pkg-config',
  'python3-venv',
  'libssl-dev',
  'libuv1-dev',
  'libabsl-dev',
  'libflatbuffers-dev',
  'flatbuffers-compiler',
  'libsrtp2-dev',
];
// The simulator's voices (a synthetic voice is used where espeak-ng is absent).
const VOICE_PACKAGES = ['espeak-ng'];
// End-to-end tests drive Debian's Chromium; SIPREC tests use sipp as the recording client.
const BROWSER_PACKAGES = ['chromium', 'sip-tester'];
// The suite runs again on PostgreSQL, a private cluster of Debian's server (initdb, pg_ctl);
// the multi-node test and bench join their nodes through a private redis-server.
const DATABASE_PACKAGES = ['postgresql', 'redis-server'];

const TASKS = {
  start: { browser: false, client: true },
  test: { browser: true, client: true },
  bench: { browser: true, client: true },
  simulate: { browser: false, client: false },
  admin: { browser: false, client: false, worker: false },
  exec: { browser: false, client: false },
};

function treeHash(paths) {
  const hash = createHash('sha256');
  const visit = (p) => {
    if (!existsSync(p)) return;
    const stat = statSync(p);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(p).sort()) {
        if (entry !== 'node_modules' && entry !== 'dist') visit(join(p, entry));
      }
    } else {
      hash.update(relative(root, p)).update(readFileSync(p));
    }
  };
  paths.forEach(visit);
  return hash.digest('hex');
}

function pythonHasVenv() {
  return run('python3', ['-c', 'import venv, ensurepip'], { quiet: true }).then(
    () => true,
    () => false,
  );
}

async function installDependencies(node, pnpm, env) {
  const stamp = join(root, 'node_modules', '.earshot-install');
  const manifests = [
    'package.json',
    'pnpm-lock.yaml',
    'pnpm-workspace.yaml',
    'shared/package.json',
    'server/package.json',
    'client/package.json',
    'tests/package.json',
    'scripts/package.json',
  ].map((f) => join(root, f));
  const wanted = treeHash(manifests);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return;
  step('installing dependencies with pnpm');
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
  await run(node, [pnpm, 'install', '--prefer-offline', ...frozen], { cwd: root, env });
  writeFileSync(stamp, wanted);
}

async function buildClient(node, pnpm, env) {
  const dist = join(root, 'client', 'dist');
  const stamp = join(dist, '.earshot-build');
  const wanted = treeHash([join(root, 'client'), join(root, 'shared', 'src')]);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return;
  step('building the console (vite)');
  await run(node, [pnpm, '--filter', '@earshot/client', 'run', 'build'], {
    cwd: root,
    env,
    quiet: true,
  });
  mkdirSync(dist, { recursive: true });
  writeFileSync(stamp, wanted);
}

async function main() {
  const [task = 'start', ...args] = process.argv.slice(2);
  const plan = TASKS[task];
  if (!plan)
    throw new SetupError(`unknown task "${task}"; one of: ${Object.keys(TASKS).join(', ')}`);

  const { node, home } = await ensureNode(toolsDir);
  const pnpm = await ensurePnpm(root, toolsDir);
  const env = { ...process.env };
  if (home) {
    env.PATH = `${join(home, 'bin')}:${env.PATH}`;
    // NOTE: ~/.npmrc may point node-gyp at the machine's older Node headers.
    env.npm_config_nodedir = home;
  }
  env.PATH = `${join(root, 'node_modules', '.bin')}:${env.PATH}`;

  const needWorkerBuild = plan.worker !== false && !env.MEDIASOUP_WORKER_BIN;
  const required = [];
  const optional = [
    ...VOICE_PACKAGES,
    ...(plan.browser ? BROWSER_PACKAGES : []),
    ...(task === 'test' || task === 'bench' ? DATABASE_PACKAGES : []),
  ];
  if (needWorkerBuild) required.push(...WORKER_BUILD_PACKAGES.filter((p) => p !== 'python3-venv'));
  if (needWorkerBuild && !(await pythonHasVenv())) required.push('python3-venv');
  const stillMissing = await ensureDebianPackages({ required, optional });
  if (plan.browser && stillMissing.includes('chromium')) {
    throw new SetupError("the end-to-end tests need Debian's chromium: apt-get install chromium");
  }
  if (task === 'test' && stillMissing.includes('postgresql')) {
    throw new SetupError('the tests run on PostgreSQL too: apt-get install postgresql');
  }
  if (task === 'test' && stillMissing.includes('redis-server')) {
    throw new SetupError(
      'the multi-node test joins its nodes through Redis: apt-get install redis-server',
    );
  }
  if (task === 'test' && stillMissing.includes('sip-tester')) {
    throw new SetupError("the SIPREC tests need Debian's sipp: apt-get install sip-tester");
  }

  await installDependencies(node, pnpm, env);
  if (needWorkerBuild) {
    env.MEDIASOUP_WORKER_BIN = await ensureMediasoupWorker({
      cacheDir,
      mediasoupDir: join(root, 'server', 'node_modules', 'mediasoup'),
      jobs: availableParallelism(),
    });
  }
  if (plan.worker !== false) {
    await ensureUdpMux({ root, node, required: task === 'test' || task === 'bench' });
  }
  if (plan.client) await buildClient(node, pnpm, env);

  const commands = {
    start: () => [
      node,
      [join(root, 'server', 'src', 'main.ts'), ...args],
      { EARSHOT_SIMULATOR: env.EARSHOT_SIMULATOR ?? 'on' },
    ],
    test: () => [node, [pnpm, 'run', 'check', ...args], {}],
    bench: () => {
      const named = args[0] && !args[0].startsWith('-');
      const file = join(root, 'scripts', 'bench', `${named ? args[0] : 'ingest'}.ts`);
      if (!existsSync(file)) throw new SetupError(`no benchmark "${args[0]}" in scripts/bench/`);
      return [node, [file, ...(named ? args.slice(1) : args)], {}];
    },
    simulate: () => [node, [join(root, 'scripts', 'simulate.ts'), ...args], {}],
    admin: () => [node, [join(root, 'scripts', 'admin.ts'), ...args], {}],
    exec: () => [args[0], args.slice(1), {}],
  };
  const [command, commandArgs, extraEnv] = commands[task]();
  step(`running ${task}`);
  const child = spawn(command, commandArgs, {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((error) => {
  process.stderr.write(
    `\n[earshot setup] ${error instanceof SetupError ? error.message : error.stack}\n`,
  );
  process.exit(1);
});
