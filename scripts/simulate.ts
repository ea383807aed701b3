// The call simulator as a command: drives a running Earshot through its ingest API, the
// way an SBC and an ACD would, until interrupted. The organisation is declared by an
// admin (an ingest token may only announce calls and post events).
//
//   EARSHOT_INGEST_TOKEN=<token> EARSHOT_ADMIN_PASSWORD=<password> npm run simulate -- \
//     [--url http://127.0.0.1:8080] [--admin admin] [--calls 24] [--seed 1]
import { parseArgs } from 'node:util';
import type { Org } from '@earshot/shared';
import { createRootLogger } from '@earshot/server';
import { Simulator } from '../server/src/sim/Simulator.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    token: { type: 'string' },
    admin: { type: 'string', default: 'admin' },
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
const token = values.token ?? process.env.EARSHOT_INGEST_TOKEN;
const adminPassword = process.env.EARSHOT_ADMIN_PASSWORD;
if (!token || !adminPassword) {
  console.error(
    'set EARSHOT_INGEST_TOKEN (or --token: an ingest token an admin created) and ' +
      'EARSHOT_ADMIN_PASSWORD (the password of the --admin user, to declare the organisation)',
  );
  process.exit(2);
}

/** Signs in as the admin and declares the organisation. */
async function declareOrg(org: Org): Promise<void> {
  const origin = new URL(values.url).origin;
  const login = await fetch(`${origin}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ username: values.admin, password: adminPassword }),
  });
  if (!login.ok) throw new Error(`signing in as ${values.admin}: ${await login.text()}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const put = await fetch(`${origin}/api/v1/org`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', origin, cookie },
    body: JSON.stringify(org),
  });
  if (!put.ok) throw new Error(`declaring the organisation: ${await put.text()}`);
  await fetch(`${origin}/api/v1/auth/logout`, { method: 'POST', headers: { origin, cookie } });
}

const logger = createRootLogger(values['log-level']);
const simulator = await Simulator.start({
  baseUrl: values.url,
  ingestToken: token,
  declareOrg,
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
