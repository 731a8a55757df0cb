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

export interface Config {
  port: number;
  bind: string;
  dataDir: string;
  sharesDir: string;
  incomingDir: string;
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
      const shown = raw === undefined ? '(empty)' : JSON.stringify(String(raw));
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

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}
