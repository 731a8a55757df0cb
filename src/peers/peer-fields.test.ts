import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalisePeerAddress, peerNameSchema } from './peer-fields.js';

describe('peer fields', () => {
  it('takes host names and IP addresses, IPv6 with or without brackets', () => {
    assert.equal(normalisePeerAddress('backup.example.org'), 'backup.example.org');
    assert.equal(normalisePeerAddress(' nas '), 'nas');
    assert.equal(normalisePeerAddress('192.168.1.20'), '192.168.1.20');
    assert.equal(normalisePeerAddress('[fe80::1]'), 'fe80::1');
    assert.equal(normalisePeerAddress('::1'), '::1');
  });

  it('refuses schemes, ports, paths and users', () => {
    for (const text of ['https://nas', 'nas:8443', 'nas/path', 'me@nas', '', '-nas', 'nas..example', 'a'.repeat(64), '[nas]']) {
      assert.equal(normalisePeerAddress(text), null, text);
    }
  });

  it('names peers with letters, digits, spaces, dots, dashes and underscores', () => {
    for (const name of ['Grandma', 'server-b', 'Bobs NAS', 'a.b_c d-1', 'x'.repeat(64)]) {
      assert.ok(peerNameSchema.safeParse(name).success, name);
    }
    for (const name of ['', ' lead', '-x', 'x'.repeat(65), 'a/b', 'é']) {
      assert.ok(!peerNameSchema.safeParse(name).success, name);
    }
  });
});
