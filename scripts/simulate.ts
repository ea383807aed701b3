// The call simulator as a command: drives a running Earshot through its ingest API, the
// way an SBC and an ACD would, until interrupted.
//
//   npm run simulate -- --url http://127.0.0.1:8080 --token <ingest token> [--calls 24] [--seed 1]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createRootLogger } from '@earshot/server';
import { Simulator } from '../server/src/sim/Simulator.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    token: { type: 'string' },
    'token-file': { type: 'string', default: 'data/ingest-token' },
    calls: { type: 'string', default: '24' },
    seed: { type: 'string', default: '1' },
    'log-level': { type: 'string', default: 'info' },
  },
});

const calls = Number(values.calls);
const seed = Number(values.seed);
if (!Number.isInteger(calls) || calls < 1 || calls > 500 || !Number.isInteger(seed) || seed < 0) {
  console.error('--calls must be a whole number 1-500 and --seed a whole number >= 0');
  process.exit(2);
}
let token = values.token;
if (!token) {
  try {
    token = readFileSync(values['token-file'], 'utf8').trim();
  } catch {
    console.error(`no --token given and ${values['token-file']} cannot be read`);
    process.exit(2);
  }
}

const logger = createRootLogger(values['log-level']);
const simulator = await Simulator.start({
  baseUrl: values.url,
  ingestToken: token,
  seed,
  concurrentCalls: calls,
  logger,
}).catch((error: unknown) => {
  const reason = error instanceof Error ? error.message : String(error);
  console.error(`could not start simulating against ${values.url}: ${reason}`);
  process.exit(1);
});
logger.info({ url: values.url, calls, seed }, 'simulating calls; Ctrl-C to stop');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void simulator.stop().then(() => process.exit(0)));
}
