// pnpm, pinned by the root package.json's packageManager field, unpacked from the npm
// registry into the project's tools folder and run with the project's Node.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SetupError, step } from './log.mjs';
import { unpackNpmPackage } from './npm-package.mjs';

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
  await unpackNpmPackage(`pnpm@${version}`, home);
  return cli;
}
