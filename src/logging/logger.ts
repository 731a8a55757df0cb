import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths redacted wherever they appear in a log line: keys and passwords must
 * never reach a log, even by accident in an error's details.
 */
const REDACTED_PATHS = [
  'password',
  'encryptionKey',
  'userKey',
  'masterKey',
  'token',
  'activationToken',
  'passphrase',
  '*.password',
  '*.encryptionKey',
  '*.userKey',
  '*.masterKey',
  '*.token',
  '*.activationToken',
  '*.passphrase',
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  level: string;
  /** Where a person reads the log by default: the server's stdout (journald, docker logs); CLI commands use stderr, keeping stdout for their output. */
  console: 'stdout' | 'stderr' | 'none';
  /** A file to write as well, only when the administrator asked for one (ANEMONE_LOG_FILE). */
  file?: string | undefined;
}

export interface OpenedLogger {
  logger: Logger;
  /** Reopens the log file at its path (after logrotate moved it away); nothing to do without a file. */
  reopenFile(): void;
}

export function createLogger(options: LoggerOptions): OpenedLogger {
  const level = options.level as pino.Level;
  const streams: pino.StreamEntry[] = [];
  const file = options.file ? pino.destination({ dest: options.file, sync: false, mkdir: true }) : undefined;
  if (file) streams.push({ level, stream: file });
  if (options.console !== 'none') streams.push({ level, stream: options.console === 'stdout' ? process.stdout : process.stderr });
  const logger = pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid } }, pino.multistream(streams));
  return { logger, reopenFile: () => file?.reopen() };
}
