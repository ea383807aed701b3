// Progress output for the set-up steps: one line per step, timings, and clear failures.
import { spawn } from 'node:child_process';

const started = Date.now();

/** Prints a progress line prefixed with the set-up tag and the elapsed time. */
export function step(message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  process.stderr.write(`[earshot setup ${seconds}s] ${message}\n`);
}

/** A set-up failure whose message tells the user what to do; printed without a stack. */
export class SetupError extends Error {
  constructor(message) {
    super(message);
    this.name = 'SetupError';
  }
}

/**
 * Runs a command, streaming its output to stderr (or capturing it with `quiet`),
 * and rejects with the tail of its output when it fails.
 */
export function run(command, args, { cwd, env, quiet = false, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: env ?? process.env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk) => {
      output += chunk.toString();
      if (output.length > 64_000) output = output.slice(-32_000);
      if (!quiet) process.stderr.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    if (input !== undefined) child.stdin.end(input);
    child.on('error', (error) =>
      reject(new SetupError(`could not run ${command}: ${error.message}`)),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve(output);
      else {
        const tail = output.trim().split('\n').slice(-25).join('\n');
        reject(
          new SetupError(
            `${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})\n${tail}`,
          ),
        );
      }
    });
  });
}
