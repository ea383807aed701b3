// The native UDP reader of the media threads (server/native/udpmux.c): compiled once with
// the machine's C compiler against the headers of the Node that runs the project, and again
// only when its source or that Node changes. Node-API: one build serves every Node >= 18.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { run, SetupError, step } from './log.mjs';

/**
 * Builds `server/native/build/udpmux.node`. Where it cannot be built (not Linux, no
 * compiler, no headers) the media threads read with node:dgram instead: `required` makes
 * that a failure (the tests exercise both readers).
 */
export async function ensureUdpMux({ root, node, required }) {
  const source = join(root, 'server', 'native', 'udpmux.c');
  const outDir = join(root, 'server', 'native', 'build');
  const out = join(outDir, 'udpmux.node');
  const stamp = join(outDir, '.earshot-build');
  const headers = join(dirname(dirname(node)), 'include', 'node');
  const fail = (why) => {
    if (required) throw new SetupError(`the native UDP reader cannot be built: ${why}`);
    step(`native UDP reader not built (${why}): the media threads read with node:dgram`);
  };
  if (process.platform !== 'linux') return fail('it is Linux-only');
  if (!existsSync(join(headers, 'node_api.h')) || !existsSync(join(headers, 'uv.h'))) {
    return fail(`no Node headers in ${headers}`);
  }
  const wanted = createHash('sha256')
    .update(readFileSync(source))
    .update(readFileSync(join(headers, 'node_version.h')))
    .digest('hex');
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return;
  step('building the native UDP reader (server/native/udpmux.c)');
  mkdirSync(outDir, { recursive: true });
  const compiler = process.env.CC || 'cc';
  try {
    await run(
      compiler,
      ['-O2', '-Wall', '-shared', '-fPIC', `-I${headers}`, '-o', `${out}.tmp`, source],
      { quiet: true },
    );
  } catch (error) {
    return fail(error.message);
  }
  renameSync(`${out}.tmp`, out);
  writeFileSync(stamp, wanted);
}
