// Unpacks a package from the npm registry into a folder (tools the project runs, not
// dependencies it imports).
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run, SetupError } from './log.mjs';

/** Fetches `spec` (e.g. `pnpm@10.34.8`) with `npm pack` and unpacks it as `destination`. */
export async function unpackNpmPackage(spec, destination) {
  const scratch = mkdtempSync(join(tmpdir(), 'earshot-pack-'));
  try {
    await run('npm', ['pack', spec, '--pack-destination', scratch, '--silent'], {
      quiet: true,
      cwd: scratch,
    });
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new SetupError(`npm pack ${spec} produced no tarball`);
    await run('tar', ['xzf', join(scratch, tarball), '-C', scratch], { quiet: true });
    mkdirSync(dirname(destination), { recursive: true });
    rmSync(destination, { recursive: true, force: true });
    renameSync(join(scratch, 'package'), destination);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
