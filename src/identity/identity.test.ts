import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { IdentityError, loadOrCreateIdentity } from './identity.js';

describe('server identity', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-identity-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const certsDir = path.join(dir, 'certs');

  it('generates a ten-year self-signed certificate on first start and keeps it', async () => {
    const first = await loadOrCreateIdentity({ certsDir });
    assert.equal(first.origin, 'generated');
    assert.match(first.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const certificate = new X509Certificate(first.certPem);
    const years = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / (365.25 * 86_400_000);
    assert.ok(years > 9.9 && years < 10.1, `validity ${years} years`);
    assert.equal((await stat(path.join(certsDir, 'server.key'))).mode & 0o777, 0o600);

    const second = await loadOrCreateIdentity({ certsDir });
    assert.equal(second.origin, 'loaded');
    assert.equal(second.fingerprint, first.fingerprint);
  });

  it('uses a custom pair and refuses a key that does not match', async () => {
    const other = await loadOrCreateIdentity({ certsDir: path.join(dir, 'other') });
    const custom = await loadOrCreateIdentity({
      certsDir,
      tlsCertPath: path.join(dir, 'other', 'server.crt'),
      tlsKeyPath: path.join(dir, 'other', 'server.key'),
    });
    assert.equal(custom.origin, 'custom');
    assert.equal(custom.fingerprint, other.fingerprint);

    await assert.rejects(
      loadOrCreateIdentity({
        certsDir,
        tlsCertPath: path.join(dir, 'other', 'server.crt'),
        tlsKeyPath: path.join(certsDir, 'server.key'),
      }),
      IdentityError,
    );
  });
});
