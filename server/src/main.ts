// The process entry point: reads the environment, starts Earshot (and the demo simulator
// when asked), and shuts everything down cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig, type Config } from './config/config.ts';
import { AuthService } from './auth/AuthService.ts';
import { startEarshot } from './Earshot.ts';
import { createRootLogger, isPretty } from './log/logger.ts';
import { Simulator } from './sim/Simulator.ts';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}

const log = createRootLogger(config.logLevel, config.logFormat);
const earshot = await startEarshot(config, log).catch((error: unknown) => {
  log.fatal({ err: error }, 'Earshot could not start');
  process.exit(1);
});
log.info(
  { url: earshot.url, workers: earshot.pool.size, dataDir: config.dataDir },
  `Earshot is listening on ${earshot.url}`,
);
if (isPretty(config.logFormat)) process.stdout.write(banner(earshot.url, config));

const simulator = config.simulator.enabled
  ? await Simulator.start({
      baseUrl: earshot.url,
      ingestToken: earshot.ingestToken,
      declareOrg: (org) => earshot.org.replace(org),
      seed: config.simulator.seed,
      concurrentCalls: config.simulator.concurrentCalls,
      logger: log.child({ module: 'sim' }),
    })
  : undefined;

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    log.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  log.info({ signal }, 'shutting down: ending calls');
  await simulator?.stop();
  await earshot.close();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));

/** What a person starting Earshot on a terminal needs first: where to go, who to be. */
function banner(url: string, config: Config): string {
  // A server on every address is opened in a browser on this machine as localhost.
  const open = url.replace(/^http:\/\/(0\.0\.0\.0|\[::\])/, 'http://localhost');
  const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
  const rows: [string, string][] = [['Open', bold(open)]];
  if (config.auth.demoUsers) {
    const users = AuthService.demoDirectory();
    rows.push([
      'Sign in as',
      `${users.map((u) => u.username).join(', ')} (password ${users[0]?.password ?? ''})`,
    ]);
  }
  rows.push(['Data', `${config.dataDir} (SQLite database, recordings)`]);
  rows.push([
    'Simulator',
    config.simulator.enabled
      ? `on: about ${config.simulator.concurrentCalls} calls at a time (EARSHOT_SIMULATOR=off)`
      : 'off',
  ]);
  rows.push(['Stop', 'Ctrl-C']);
  const lines = rows.map(([label, value]) => `  ${label.padEnd(11)}${value}`);
  return `\n  ${bold('Earshot')} is running\n\n${lines.join('\n')}\n\n`;
}
