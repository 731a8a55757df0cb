import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isLoopbackAddress, parseTrustProxy, type TrustProxy } from './listeners.js';

/**
 * Every setting, once: its environment variable, its flag, its default and a
 * doc line. The CLI builds its flags from this table and docs/install.md lists it.
 */
export const configKeys = {
  port: {
    env: 'HTTPS_PORT',
    flag: '--port <port>',
    doc: 'HTTPS port the server listens on (0 picks a free port)',
    default: '8443',
    schema: z.coerce.number().int().min(0).max(65535),
  },
  bind: {
    env: 'ANEMONE_BIND',
    flag: '--bind <address>',
    doc: 'Address to listen on',
    default: '0.0.0.0',
    schema: z.string().min(1),
  },
  dataDir: {
    env: 'ANEMONE_DATA_DIR',
    flag: '--data-dir <dir>',
    doc: 'Directory holding the database, certificates, shares and incoming backups',
    default: './data',
    schema: z.string().min(1),
  },
  sharesDir: {
    env: 'ANEMONE_SHARES_DIR',
    flag: '--shares-dir <dir>',
    doc: "Directory of users' shares (default <data>/shares)",
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  incomingDir: {
    env: 'ANEMONE_INCOMING_DIR',
    flag: '--incoming-dir <dir>',
    doc: 'Directory of encrypted backups received from peers (default <data>/incoming)',
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  incomingStore: {
    env: 'ANEMONE_INCOMING_STORE',
    flag: '--incoming-store <kind>',
    doc: 'Where backups received from peers are kept: fs (ANEMONE_INCOMING_DIR) or s3 (an S3-compatible bucket: ANEMONE_S3_*)',
    default: 'fs',
    schema: z.enum(['fs', 's3']),
  },
  s3Endpoint: {
    env: 'ANEMONE_S3_ENDPOINT',
    flag: '--s3-endpoint <url>',
    doc: 'URL of the S3-compatible storage (MinIO, Garage, …); unset, Amazon S3 of ANEMONE_S3_REGION',
    default: undefined,
    schema: z.string().regex(/^https?:\/\/[^\s/]+(?:\/\S*)?$/, 'an http:// or https:// URL').optional(),
  },
  s3Region: {
    env: 'ANEMONE_S3_REGION',
    flag: '--s3-region <region>',
    doc: 'Region of the bucket (Garage: the s3_region of its configuration, often garage)',
    default: 'us-east-1',
    schema: z.string().min(1).max(64),
  },
  s3Bucket: {
    env: 'ANEMONE_S3_BUCKET',
    flag: '--s3-bucket <name>',
    doc: 'Bucket for backups received from peers (must exist); needed with ANEMONE_INCOMING_STORE=s3',
    default: undefined,
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens').optional(),
  },
  s3Prefix: {
    env: 'ANEMONE_S3_PREFIX',
    flag: '--s3-prefix <prefix>',
    doc: 'Key prefix inside the bucket, so one bucket can hold several things (no leading or trailing slash)',
    default: '',
    schema: z.string().max(256).regex(/^(?:[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*)?$/, 'segments of letters, digits, dots, hyphens and underscores, separated by single slashes'),
  },
  s3ForcePathStyle: {
    env: 'ANEMONE_S3_FORCE_PATH_STYLE',
    flag: '--s3-force-path-style <bool>',
    doc: 'true: address the bucket as <endpoint>/<bucket> (MinIO and Garage need it); false: as <bucket>.<endpoint>',
    default: 'false',
    schema: z.enum(['true', 'false']),
  },
  s3AccessKeyId: {
    env: 'ANEMONE_S3_ACCESS_KEY_ID',
    flag: '--s3-access-key-id <id>',
    doc: 'Access key id for the bucket; unset, the AWS SDK looks for credentials as usual (AWS_* variables, ~/.aws)',
    default: undefined,
    schema: z.string().min(1).max(256).optional(),
  },
  s3AccessKeyIdFile: {
    env: 'ANEMONE_S3_ACCESS_KEY_ID_FILE',
    flag: '--s3-access-key-id-file <file>',
    doc: 'File holding the access key id (a Docker secret); instead of ANEMONE_S3_ACCESS_KEY_ID',
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  s3SecretAccessKey: {
    env: 'ANEMONE_S3_SECRET_ACCESS_KEY',
    flag: '--s3-secret-access-key <secret>',
    doc: 'Secret of the access key; prefer ANEMONE_S3_SECRET_ACCESS_KEY_FILE (a flag shows in the process list)',
    default: undefined,
    schema: z.string().min(1).max(256).optional(),
  },
  s3SecretAccessKeyFile: {
    env: 'ANEMONE_S3_SECRET_ACCESS_KEY_FILE',
    flag: '--s3-secret-access-key-file <file>',
    doc: 'File holding the secret of the access key (a Docker secret); instead of ANEMONE_S3_SECRET_ACCESS_KEY',
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  tlsCertPath: {
    env: 'TLS_CERT_PATH',
    flag: '--tls-cert <file>',
    doc: 'PEM certificate to use instead of the generated self-signed one (needs TLS_KEY_PATH)',
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  tlsKeyPath: {
    env: 'TLS_KEY_PATH',
    flag: '--tls-key <file>',
    doc: 'PEM private key of TLS_CERT_PATH',
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  peerPort: {
    env: 'ANEMONE_PEER_PORT',
    flag: '--peer-port <port>',
    doc: "A second HTTPS port for peers only (/health and the peer protocol, always with this server's own certificate), so the UI's certificate can be anything and renew freely; unset, peers use HTTPS_PORT",
    default: undefined,
    schema: z.coerce.number().int().min(0).max(65535).optional(),
  },
  peerBind: {
    env: 'ANEMONE_PEER_BIND',
    flag: '--peer-bind <address>',
    doc: 'Address the peer port listens on (peers reach it from outside even when the UI listens on 127.0.0.1 behind a proxy)',
    default: '0.0.0.0',
    schema: z.string().min(1),
  },
  uiTls: {
    env: 'ANEMONE_UI_TLS',
    flag: '--ui-tls <mode>',
    doc: 'on: the UI port speaks HTTPS; off: plain HTTP for a reverse proxy on this machine that terminates TLS (needs ANEMONE_PEER_PORT and a loopback ANEMONE_BIND); off-any-address: plain HTTP on any address, for a proxy on a private network you trust',
    default: 'on',
    schema: z.enum(['on', 'off', 'off-any-address']),
  },
  trustProxy: {
    env: 'ANEMONE_TRUST_PROXY',
    flag: '--trust-proxy <proxies>',
    doc: 'Reverse proxies whose X-Forwarded-For, -Proto and -Host are believed: addresses or CIDR ranges, comma-separated (loopback = 127.0.0.1 and ::1), or a number of proxy hops; unset, those headers are ignored',
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  logLevel: {
    env: 'ANEMONE_LOG_LEVEL',
    flag: '--log-level <level>',
    doc: 'Log level: debug, info, warn or error',
    default: 'info',
    schema: z.enum(['debug', 'info', 'warn', 'error']),
  },
  logFile: {
    env: 'ANEMONE_LOG_FILE',
    flag: '--log-file <file>',
    doc: 'Also write the log to this file, reopened on SIGHUP (for logrotate); by default the log goes to standard output only (the journal, docker logs)',
    default: undefined,
    schema: z.string().min(1).optional(),
  },
  memory: {
    env: 'ANEMONE_MEMORY',
    flag: '--memory <mode>',
    doc: 'lean: the JavaScript engine favours memory over speed (about a third less memory during syncs, a quarter slower when the CPU is the limit); fast: the other way',
    default: 'lean',
    schema: z.enum(['lean', 'fast']),
  },
} as const;

export type ConfigKey = keyof typeof configKeys;

/** Settings whose value is never repeated in a message. */
const SECRET_KEYS = new Set<ConfigKey>(['s3AccessKeyId', 's3SecretAccessKey']);

/** An S3-compatible bucket for backups received from peers. Holds a secret: never logged whole (describeIncomingStore). */
export interface S3Location {
  /** Unset: Amazon S3 of `region`. */
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  /** Keys start with it (no leading or trailing slash); '' for none. */
  prefix: string;
  forcePathStyle: boolean;
  /** Both or neither; neither: the AWS SDK's own credential chain. */
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
}

export type IncomingStoreConfig = { kind: 'fs' } | { kind: 's3'; location: S3Location };

export interface Config {
  port: number;
  bind: string;
  dataDir: string;
  sharesDir: string;
  incomingDir: string;
  /** Where received backups are kept: the filesystem (incomingDir) or a bucket. */
  incomingStore: IncomingStoreConfig;
  certsDir: string;
  dbPath: string;
  secretsDir: string;
  tlsCertPath: string | undefined;
  tlsKeyPath: string | undefined;
  /** The peers' own listener; undefined: peers use `port`, as the UI does. */
  peerPort: number | undefined;
  peerBind: string;
  /** false: the UI listener speaks plain HTTP (behind a TLS-terminating proxy). */
  uiTls: boolean;
  /** Proxies whose X-Forwarded-* headers are believed on the UI listener; false: none. */
  trustProxy: TrustProxy;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** The log file the administrator asked for, if any (absolute). */
  logFile: string | undefined;
  memory: 'lean' | 'fast';
  /** Write the log to stdout (the server run by the CLI does; tests keep quiet). */
  logToStdout: boolean;
}

/** A setting that cannot be used; the message names the variable and the flag. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type ConfigSource = Partial<Record<ConfigKey, string | number | undefined>>;

/**
 * Flags win over environment variables, which win over defaults.
 * Relative directories are resolved against the current directory once, here.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  flags: ConfigSource = {},
  extra: { logToStdout?: boolean } = {},
): Config {
  const value = <K extends ConfigKey>(key: K): z.infer<(typeof configKeys)[K]['schema']> => {
    const entry = configKeys[key];
    const raw = flags[key] ?? nonEmpty(env[entry.env]) ?? entry.default;
    const parsed = entry.schema.safeParse(raw);
    if (!parsed.success) {
      const shown = raw === undefined ? '(empty)' : SECRET_KEYS.has(key) ? '(not shown: a secret)' : JSON.stringify(String(raw));
      throw new ConfigError(
        `Invalid value ${shown} for ${entry.env} (flag ${entry.flag.split(' ')[0]}): ${entry.doc}. ${parsed.error.issues[0]?.message ?? ''}`.trim(),
      );
    }
    return parsed.data as z.infer<(typeof configKeys)[K]['schema']>;
  };

  const dataDir = path.resolve(value('dataDir'));
  const tlsCertPath = value('tlsCertPath');
  const tlsKeyPath = value('tlsKeyPath');
  if ((tlsCertPath === undefined) !== (tlsKeyPath === undefined)) {
    throw new ConfigError(
      'TLS_CERT_PATH and TLS_KEY_PATH go together: set both to use your own certificate, or neither to use the generated one.',
    );
  }
  const sharesDir = value('sharesDir');
  const incomingDir = value('incomingDir');
  const logFile = value('logFile');
  const port = value('port');
  const bind = value('bind');
  const peerPort = value('peerPort');
  const uiTls = value('uiTls');
  if (peerPort !== undefined && peerPort !== 0 && peerPort === port) {
    throw new ConfigError(`ANEMONE_PEER_PORT (${peerPort}) is HTTPS_PORT too: give peers a port of their own, or leave ANEMONE_PEER_PORT unset to share one port.`);
  }
  if (uiTls !== 'on' && peerPort === undefined) {
    throw new ConfigError(
      `ANEMONE_UI_TLS=${uiTls} needs ANEMONE_PEER_PORT: peers connect over mutual TLS, which a plain-HTTP port cannot offer. Set ANEMONE_PEER_PORT (peers then connect there), or keep ANEMONE_UI_TLS=on.`,
    );
  }
  if (uiTls === 'off' && !isLoopbackAddress(bind)) {
    throw new ConfigError(
      `ANEMONE_UI_TLS=off serves the UI without encryption, so passwords and session cookies would cross the network in clear text, and ANEMONE_BIND is ${bind}. ` +
        'Set ANEMONE_BIND=127.0.0.1 for a reverse proxy on this machine; if the proxy reaches Anemone over a private network you trust (a container network), say so with ANEMONE_UI_TLS=off-any-address.',
    );
  }
  const trustProxyText = value('trustProxy');
  let trustProxy: TrustProxy = false;
  if (trustProxyText !== undefined) {
    try {
      trustProxy = parseTrustProxy(trustProxyText);
    } catch (error) {
      throw new ConfigError(`Invalid value ${JSON.stringify(trustProxyText)} for ANEMONE_TRUST_PROXY (flag --trust-proxy): ${(error as Error).message}`);
    }
  }
  return {
    port,
    bind,
    dataDir,
    incomingStore: incomingStoreFrom(value),
    sharesDir: sharesDir ? path.resolve(sharesDir) : path.join(dataDir, 'shares'),
    incomingDir: incomingDir ? path.resolve(incomingDir) : path.join(dataDir, 'incoming'),
    certsDir: path.join(dataDir, 'certs'),
    dbPath: path.join(dataDir, 'db', 'anemone.db'),
    secretsDir: path.join(dataDir, 'secrets'),
    tlsCertPath: tlsCertPath ? path.resolve(tlsCertPath) : undefined,
    tlsKeyPath: tlsKeyPath ? path.resolve(tlsKeyPath) : undefined,
    peerPort,
    peerBind: value('peerBind'),
    uiTls: uiTls === 'on',
    trustProxy,
    logLevel: value('logLevel'),
    logFile: logFile ? path.resolve(logFile) : undefined,
    memory: value('memory'),
    logToStdout: extra.logToStdout ?? false,
  };
}

/** The incoming store the settings name; an S3 one needs its bucket, and a key id with its secret. */
function incomingStoreFrom(value: <K extends ConfigKey>(key: K) => z.infer<(typeof configKeys)[K]['schema']>): IncomingStoreConfig {
  if (value('incomingStore') === 'fs') return { kind: 'fs' };
  const bucket = value('s3Bucket');
  if (bucket === undefined) throw new ConfigError('ANEMONE_INCOMING_STORE=s3 needs ANEMONE_S3_BUCKET (flag --s3-bucket): the bucket that keeps the backups received from peers.');
  const accessKeyId = secretValue(value('s3AccessKeyId'), value('s3AccessKeyIdFile'), 'ANEMONE_S3_ACCESS_KEY_ID');
  const secretAccessKey = secretValue(value('s3SecretAccessKey'), value('s3SecretAccessKeyFile'), 'ANEMONE_S3_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError('ANEMONE_S3_ACCESS_KEY_ID and ANEMONE_S3_SECRET_ACCESS_KEY go together (or their _FILE variants): set both, or neither to use the AWS SDK\'s own credentials.');
  }
  return {
    kind: 's3',
    location: { endpoint: value('s3Endpoint'), region: value('s3Region'), bucket, prefix: value('s3Prefix'), forcePathStyle: value('s3ForcePathStyle') === 'true', accessKeyId, secretAccessKey },
  };
}

/** A secret given directly or as a file (Docker secrets); both at once is a mistake worth saying. */
function secretValue(direct: string | undefined, file: string | undefined, env: string): string | undefined {
  if (file === undefined) return direct;
  if (direct !== undefined) throw new ConfigError(`${env} and ${env}_FILE are both set: keep one.`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${env}_FILE names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): check the path and its permissions.`);
  }
  const secret = text.trim();
  if (secret === '') throw new ConfigError(`${env}_FILE names ${file}, which is empty.`);
  return secret;
}

/** The incoming store for the log and the settings table: where, never the secret. */
export function describeIncomingStore(store: IncomingStoreConfig): string {
  if (store.kind === 'fs') return 'fs';
  const { endpoint, region, bucket, prefix } = store.location;
  return `s3 ${endpoint ?? `aws:${region}`} ${bucket}/${prefix}`;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}
