import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseFingerprint, sameFingerprint } from './fingerprint.js';

const canonical = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':');

describe('fingerprints', () => {
  it('accepts the colon form in any case and the bare hex form, giving AB:CD:…', () => {
    assert.equal(normaliseFingerprint(canonical), canonical);
    assert.equal(normaliseFingerprint(canonical.toLowerCase()), canonical);
    assert.equal(normaliseFingerprint(canonical.replaceAll(':', '')), canonical);
    assert.equal(normaliseFingerprint(`  ${canonical}\n`), canonical);
  });

  it('refuses anything that is not 32 bytes of hex', () => {
    for (const text of ['', 'AB:CD', canonical.slice(3), `${canonical}:00`, canonical.replace('00', 'ZZ'), 'sha256/abc']) {
      assert.equal(normaliseFingerprint(text), null, text);
    }
  });

  it('compares in the canonical form, and never matches a missing one', () => {
    assert.ok(sameFingerprint(canonical, canonical.toLowerCase().replaceAll(':', '')));
    assert.ok(!sameFingerprint(canonical, canonical.replace('1F', '1E')));
    assert.ok(!sameFingerprint(undefined, canonical));
    assert.ok(!sameFingerprint('', ''));
    assert.ok(!sameFingerprint('junk', 'junk'));
  });
});
