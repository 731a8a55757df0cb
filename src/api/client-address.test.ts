import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientAddressKey } from './client-address.js';

describe('the address sign-in attempts count under', () => {
  it('is the IPv4 address itself, mapped or not', () => {
    assert.equal(clientAddressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(clientAddressKey('::ffff:192.0.2.7'), '192.0.2.7');
  });

  it("is an IPv6 address's /64, however it is written", () => {
    assert.equal(clientAddressKey('2001:db8:0:1:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
    assert.equal(clientAddressKey('2001:db8:0:1::2'), '2001:db8:0:1::/64');
    assert.equal(clientAddressKey('2001:0db8::1:0:0:0:9'), '2001:db8:0:1::/64');
    assert.equal(clientAddressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(clientAddressKey('::1'), '0:0:0:0::/64');
  });
});
