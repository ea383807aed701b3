// pnpm, pinned by the root package.json's packageManager field, unpacked from the npm
// registry into the project's tools folder and run with the project's Node.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, SetupError, step } from './log.mjs';

/** Returns the path of pnpm's CLI script (run it with the project's Node). */
export async function ensurePnpm(root, toolsDir) {
  const manager = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager ?? '';
  const version = /^pnpm@(\d+\.\d+\.\d+)/.exec(manager)?.[1];
  if (!version)
    throw new SetupError('package.json must pin pnpm as "packageManager": "pnpm@x.y.z"');
  const home = join(toolsDir, `pnpm-${version}`);
  const cli = join(home, 'bin', 'pnpm.cjs');
  if (existsSync(cli)) return cli;
  step(`fetching pnpm ${version} from the npm registry into ${home}`);
  const scratch = mkdtempSync(join(tmpdir(), 'earshot-pnpm-'));
  try {
    await run('npm', ['pack', `pnpm@${version}`, '--pack-destination', scratch, '--silent'], {
      quiet: true,
      cwd: scratch,
    });
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new SetupError(`npm pack pnpm@${version} produced no tarball`);
    await run('tar', ['xzf', join(scratch, tarball), '-C', scratch], { quiet: true });
    mkdirSync(toolsDir, { recursive: true });
    rmSync(home, { recursive: true, force: true });
    renameSync(join(scratch, 'package'), home);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return cli;
}
