// Makes sure a Node.js >= 22 runs the project: the machine's own when it is new enough,
// otherwise Node 24 fetched once from the npm registry package node-linux-<arch>.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, SetupError, step } from './log.mjs';
import { unpackNpmPackage } from './npm-package.mjs';

export const MIN_NODE_MAJOR = 22;
const FETCHED_MAJOR = 24;

const major = (version) => Number(version.replace(/^v/, '').split('.')[0]);

/** Returns the path of a Node binary of at least MIN_NODE_MAJOR, fetching one if needed. */
export async function ensureNode(toolsDir) {
  if (major(process.versions.node) >= MIN_NODE_MAJOR) return { node: process.execPath, home: null };

  const home = join(toolsDir, 'node');
  const bin = join(home, 'bin', 'node');
  if (existsSync(bin)) {
    const version = (await run(bin, ['--version'], { quiet: true })).trim();
    if (major(version) === FETCHED_MAJOR) return { node: bin, home };
  }
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    throw new SetupError(
      `Node ${process.versions.node} is too old (need >= ${MIN_NODE_MAJOR}) and no Node package exists for ${process.platform}-${process.arch}; install Node ${FETCHED_MAJOR}`,
    );
  }
  const pkg = `node-linux-${process.arch}@${FETCHED_MAJOR}`;
  step(
    `Node ${process.versions.node} is older than ${MIN_NODE_MAJOR}: fetching ${pkg} from the npm registry into ${home}`,
  );
  await unpackNpmPackage(pkg, home);
  const version = (await run(bin, ['--version'], { quiet: true })).trim();
  step(`using Node ${version} from ${home}`);
  return { node: bin, home };
}
