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

  it('keeps one listener unless ANEMONE_PEER_PORT is set, and the UI on HTTPS with no proxy believed', () => {
    const config = loadConfig({});
    assert.equal(config.peerPort, undefined);
    assert.equal(config.uiTls, true);
    assert.equal(config.trustProxy, false);
    const split = loadConfig({ ANEMONE_PEER_PORT: '8444' });
    assert.equal(split.peerPort, 8444);
    assert.equal(split.peerBind, '0.0.0.0', 'peers reach their port from outside even when the UI binds to loopback');
  });

  it('refuses a peer port that is the UI port', () => {
    assert.throws(() => loadConfig({ HTTPS_PORT: '8443', ANEMONE_PEER_PORT: '8443' }), /ANEMONE_PEER_PORT \(8443\) is HTTPS_PORT too/);
  });

  it('refuses a plain-HTTP UI without a peer port, since peers need mutual TLS', () => {
    assert.throws(() => loadConfig({ ANEMONE_UI_TLS: 'off', ANEMONE_BIND: '127.0.0.1' }), /needs ANEMONE_PEER_PORT/);
  });

  it('refuses a plain-HTTP UI on a network address unless forced, and says why', () => {
    assert.throws(() => loadConfig({ ANEMONE_UI_TLS: 'off', ANEMONE_PEER_PORT: '8444' }), /clear text.*ANEMONE_BIND=127\.0\.0\.1.*off-any-address/);
    assert.equal(loadConfig({ ANEMONE_UI_TLS: 'off', ANEMONE_PEER_PORT: '8444', ANEMONE_BIND: '127.0.0.1' }).uiTls, false);
    assert.equal(loadConfig({ ANEMONE_UI_TLS: 'off', ANEMONE_PEER_PORT: '8444', ANEMONE_BIND: '::1' }).uiTls, false);
    assert.equal(loadConfig({ ANEMONE_UI_TLS: 'off-any-address', ANEMONE_PEER_PORT: '8444' }).uiTls, false);
  });

  it('reads the proxies to trust as addresses and ranges, or a number of hops', () => {
    assert.deepEqual(loadConfig({ ANEMONE_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8, fd00::/8, loopback' }).trustProxy, ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', 'loopback']);
    assert.equal(loadConfig({ ANEMONE_TRUST_PROXY: '1' }).trustProxy, 1);
    assert.throws(() => loadConfig({ ANEMONE_TRUST_PROXY: 'true' }), /ANEMONE_TRUST_PROXY.*"true" is neither/);
    assert.throws(() => loadConfig({ ANEMONE_TRUST_PROXY: '10.0.0.0/33' }), /ANEMONE_TRUST_PROXY/);
    assert.throws(() => loadConfig({ ANEMONE_TRUST_PROXY: '0' }), /between 1 and 10/);
  });
});
