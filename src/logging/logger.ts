import { mkdirSync } from 'node:fs';
import path from 'node:path';
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

export function createLogger(options: { level: string; logsDir?: string; toStdout: boolean }): Logger {
  const streams: pino.StreamEntry[] = [];
  if (options.logsDir) {
    mkdirSync(options.logsDir, { recursive: true });
    streams.push({ level: options.level as pino.Level, stream: pino.destination({ dest: path.join(options.logsDir, 'anemone.log'), sync: false, mkdir: true }) });
  }
  if (options.toStdout) streams.push({ level: options.level as pino.Level, stream: process.stdout });
  return pino(
    { level: options.level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    pino.multistream(streams),
  );
}
