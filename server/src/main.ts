// The process entry point: reads the environment, starts Earshot (and the demo simulator
// when asked), and shuts everything down cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig, type Config } from './config/config.ts';
import { startEarshot } from './Earshot.ts';
import { createRootLogger } from './log/logger.ts';
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

const log = createRootLogger(config.logLevel);
const earshot = await startEarshot(config, log).catch((error: unknown) => {
  log.fatal({ err: error }, 'Earshot could not start');
  process.exit(1);
});
log.info(
  { url: earshot.url, workers: earshot.pool.size, dataDir: config.dataDir },
  `Earshot is listening on ${earshot.url}`,
);

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
