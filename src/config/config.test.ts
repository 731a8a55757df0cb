import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses the embedded defaults: ./data, port 8443, all interfaces', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8443);
    assert.equal(config.bind, '0.0.0.0');
    assert.equal(config.dataDir, path.resolve('data'));
    assert.equal(config.dbPath, path.resolve('data/db/anemone.db'));
    assert.equal(config.sharesDir, path.resolve('data/shares'));
    assert.equal(config.incomingDir, path.resolve('data/incoming'));
    assert.equal(config.logLevel, 'info');
    assert.equal(config.memory, 'lean');
    assert.equal(config.logFile, undefined, 'the log goes to stdout only unless a file is asked for');
  });

  it('takes a log file from ANEMONE_LOG_FILE or --log-file, resolved against the current directory', () => {
    assert.equal(loadConfig({ ANEMONE_LOG_FILE: 'logs/anemone.log' }).logFile, path.resolve('logs/anemone.log'));
    assert.equal(loadConfig({ ANEMONE_LOG_FILE: '/var/log/a.log' }, { logFile: '/var/log/b.log' }).logFile, '/var/log/b.log');
  });

  it('reads the environment variables of the product contract', () => {
    const config = loadConfig({
      HTTPS_PORT: '9443',
      ANEMONE_BIND: '127.0.0.1',
      ANEMONE_DATA_DIR: '/srv/anemone',
      ANEMONE_SHARES_DIR: '/mnt/shares',
      ANEMONE_INCOMING_DIR: '/mnt/incoming',
      ANEMONE_LOG_LEVEL: 'debug',
      ANEMONE_MEMORY: 'fast',
    });
    assert.equal(config.port, 9443);
    assert.equal(config.bind, '127.0.0.1');
    assert.equal(config.dbPath, '/srv/anemone/db/anemone.db');
    assert.equal(config.sharesDir, '/mnt/shares');
    assert.equal(config.incomingDir, '/mnt/incoming');
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.memory, 'fast');
  });

  it('lets flags win over the environment', () => {
    const config = loadConfig({ HTTPS_PORT: '9443' }, { port: '10443' });
    assert.equal(config.port, 10443);
  });

  it('names the variable when a value is bad', () => {
    assert.throws(() => loadConfig({ HTTPS_PORT: 'eighty' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /HTTPS_PORT/);
      assert.match(error.message, /--port/);
      return true;
    });
    assert.throws(() => loadConfig({ HTTPS_PORT: '70000' }), /HTTPS_PORT/);
    assert.throws(() => loadConfig({ ANEMONE_LOG_LEVEL: 'loud' }), /ANEMONE_LOG_LEVEL/);
    assert.throws(() => loadConfig({ ANEMONE_MEMORY: 'huge' }), /ANEMONE_MEMORY.*--memory/);
  });

  it('refuses a certificate without its key', () => {
    assert.throws(() => loadConfig({ TLS_CERT_PATH: '/etc/cert.pem' }), /TLS_KEY_PATH/);
  });
});
