// Debian packages the project needs: installed when running as root, otherwise named in
// a clear message with the command that installs them.
import { run, SetupError, step } from './log.mjs';

async function missing(packages) {
  const absent = [];
  for (const name of packages) {
    try {
      const status = await run('dpkg-query', ['-W', '-f=${Status}', name], { quiet: true });
      if (!status.includes('install ok installed')) absent.push(name);
    } catch {
      absent.push(name);
    }
  }
  return absent;
}

let updated = false;

/**
 * Ensures `required` packages are installed (failing clearly when they cannot be) and
 * tries `optional` ones, returning the optional ones that are still missing.
 */
export async function ensureDebianPackages({ required, optional = [] }) {
  const hasDpkg = await run('dpkg-query', ['--version'], { quiet: true }).then(
    () => true,
    () => false,
  );
  if (!hasDpkg) {
    if (required.length)
      step(`not a Debian system: make sure these are installed: ${required.join(' ')}`);
    return optional;
  }
  const absent = await missing([...required, ...optional]);
  if (absent.length === 0) return [];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    const requiredAbsent = absent.filter((p) => required.includes(p));
    const command = `sudo apt-get install -y ${absent.join(' ')}`;
    if (requiredAbsent.length) {
      throw new SetupError(
        `missing Debian packages ${requiredAbsent.join(' ')}; install them with:\n  ${command}`,
      );
    }
    step(
      `optional Debian packages missing (${absent.join(' ')}); for the full experience: ${command}`,
    );
    return absent;
  }
  step(`installing Debian packages: ${absent.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    await run('apt-get', ['update', '-q'], { quiet: true, env });
    updated = true;
  }
  try {
    await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...absent], {
      quiet: true,
      env,
    });
  } catch (error) {
    const requiredAbsent = await missing(required);
    if (requiredAbsent.length) throw error;
    step(`some optional packages could not be installed: ${(await missing(optional)).join(' ')}`);
  }
  return missing(optional);
}
