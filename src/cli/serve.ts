import { loadConfig, type ConfigSource } from '../config/config.js';
import { applyMemoryMode, restartForLeanMemory } from './memory-mode.js';

export async function runServe(flags: ConfigSource): Promise<void> {
  const config = loadConfig(process.env, flags, { logToStdout: true });
  // on Node 24 a lean server starts again with its V8 flags on node's command line; the server's modules load after
  restartForLeanMemory(config.memory);
  applyMemoryMode(config.memory);
  const { ONE_PORT_CUSTOM_CERTIFICATE, createServer } = await import('../app.js');
  const server = await createServer(config);
  const { url, peerPort } = await server.start();
  const lines = [
    `Anemone is running at ${url}`,
    config.peerPort === undefined ? `Peers connect to this port (${peerPort})` : `Peers connect to port ${peerPort} (ANEMONE_PEER_PORT, on ${config.peerBind})`,
    `Certificate fingerprint (SHA-256): ${server.identity.fingerprint}`,
    `Data directory: ${config.dataDir}`,
    `Log: standard output${config.logFile ? ` and ${config.logFile} (reopened on SIGHUP)` : ''}`,
    server.services.setup.isSetUp()
      ? `Server name: ${server.services.setup.serverName()}`
      : `First start: open ${url}/ in a browser to set this server up (or POST ${url}/api/setup, or stop it and run \`anemone setup\`).`,
  ];
  if (config.peerPort === undefined && server.identity.origin === 'custom') lines.push(`Warning: ${ONE_PORT_CUSTOM_CERTIFICATE}`);
  process.stderr.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'stopping');
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // logrotate moves the file, then sends SIGHUP: the next lines go to a new file at the configured path.
  // A renewed UI certificate (certbot's deploy hook, `systemctl reload`) is read again on the same signal.
  // Handled even without a file, so a stray SIGHUP never stops the server.
  process.on('SIGHUP', () => {
    server.reopenLogFile();
    server.logger.info({ signal: 'SIGHUP', logFile: config.logFile ?? null }, 'log file reopened');
    server.reloadUiCertificate().then(
      (outcome) => server.logger.info({ signal: 'SIGHUP' }, outcome),
      (error: unknown) => server.logger.error({ signal: 'SIGHUP', err: error }, 'The renewed UI certificate could not be loaded; the previous one stays in use. Check TLS_CERT_PATH and TLS_KEY_PATH hold a matching pair, then send SIGHUP again'),
    );
  });
}
