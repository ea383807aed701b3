export { loadConfig, ConfigError, type Config } from './config/config.ts';
export { startEarshot, type Earshot } from './Earshot.ts';
export { createRootLogger, type Logger } from './log/logger.ts';
