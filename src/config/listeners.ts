import { isIP } from 'node:net';

/**
 * Fastify's `trustProxy` as the config gives it: the addresses or CIDR ranges
 * of proxies whose X-Forwarded-* headers are believed, a number of hops, or
 * false (none). Never `true`: believing every client's headers would let
 * anyone pick the address their sign-in attempts are counted under.
 */
export type TrustProxy = false | number | string[];

/** Names proxy-addr (fastify's) understands for well-known ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `2`, or `127.0.0.1, 10.0.0.0/8, loopback`; throws with what is wrong, in words. */
export function parseTrustProxy(text: string): Exclude<TrustProxy, false> {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed);
    if (hops < 1 || hops > 10) throw new Error('a number of proxy hops is between 1 and 10');
    return hops;
  }
  const entries = trimmed.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error('give proxy addresses or CIDR ranges, comma-separated, or a number of hops');
  for (const entry of entries) {
    if (!RANGE_NAMES.has(entry) && !isAddressOrRange(entry)) {
      throw new Error(`${JSON.stringify(entry)} is neither an IP address, a CIDR range (10.0.0.0/8), loopback, linklocal nor uniquelocal`);
    }
  }
  return entries;
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`: addresses only this machine reaches. */
export function isLoopbackAddress(bind: string): boolean {
  const address = bind.replace(/^\[|\]$/g, '').toLowerCase();
  if (address === 'localhost' || address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}
