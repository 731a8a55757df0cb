import type { Config } from '../config/config.js';
import { createLogger, type Logger } from '../logging/logger.js';

/**
 * The log of a one-off command on a data directory (setup, restore-server,
 * reset-password): standard error, so standard output keeps only what the
 * command prints (and its --json), plus ANEMONE_LOG_FILE when one is set.
 */
export function commandLogger(config: Config): Logger {
  return createLogger({ level: config.logLevel, console: 'stderr', file: config.logFile }).logger;
}
