/**
 * Password hashes with node:crypto scrypt, stored as
 * `scrypt$<log2 N>$<r>$<p>$<base64 salt>$<base64 hash>` so parameters can be
 * raised later without invalidating existing hashes.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { PasswordHashError } from './errors.js';
import { type ScryptLaneName, scryptOneAtATime } from './scrypt.js';

/** PRODUCT.md §4: N = 2^17 or stronger, for accounts and the server password alike. */
const PRODUCTION_LOG2_COST = 17;
/** TEST ONLY (see usePasswordCostForTests): 1 MiB per hash instead of 128 MiB. */
const TEST_LOG2_COST = 10;
let log2CostOfNewHashes = PRODUCTION_LOG2_COST;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const SALT_LENGTH = 16;
const HASH_LENGTH = 32;
// N=2^17, r=8 needs 128 MiB, above scrypt's 32 MiB default limit.
const MAX_MEMORY = 256 * 1024 * 1024;
const STORED_PATTERN = /^scrypt\$(\d{1,2})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/;

/**
 * TEST ONLY — never called by the server or the CLI. The test suite starts
 * hundreds of servers and signs in thousands of times; at the production
 * cost that is minutes of scrypt on a 2-core machine. `'test'` makes the new
 * hashes of this process cheap (verification follows the cost stored in each
 * hash, so both kinds verify). The tests that are about the cost itself keep
 * `'production'`.
 */
export function usePasswordCostForTests(cost: 'test' | 'production'): void {
  log2CostOfNewHashes = cost === 'test' ? TEST_LOG2_COST : PRODUCTION_LOG2_COST;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const log2Cost = log2CostOfNewHashes;
  const hash = await scryptOneAtATime(password, salt, HASH_LENGTH, {
    N: 2 ** log2Cost,
    r: BLOCK_SIZE,
    p: PARALLELISM,
    maxmem: MAX_MEMORY,
  });
  return ['scrypt', log2Cost, BLOCK_SIZE, PARALLELISM, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** `lane`: whose queue the check waits in (src/crypto/scrypt.ts); peers' checks never wait behind sign-ins. */
export async function verifyPassword(password: string, stored: string, lane: ScryptLaneName = 'accounts'): Promise<boolean> {
  const match = STORED_PATTERN.exec(stored);
  const [log2Cost, blockSize, parallelism] = (match?.slice(1, 4) ?? []).map(Number);
  const salt = Buffer.from(match?.[4] ?? '', 'base64');
  const expected = Buffer.from(match?.[5] ?? '', 'base64');
  if (!log2Cost || !blockSize || !parallelism || salt.length === 0 || expected.length < 16) {
    throw new PasswordHashError('malformed-hash', 'The stored password hash is not in the expected scrypt$… form');
  }
  let actual: Buffer;
  try {
    actual = await scryptOneAtATime(password, salt, expected.length, {
      N: 2 ** log2Cost,
      r: blockSize,
      p: parallelism,
      maxmem: MAX_MEMORY,
    }, lane);
  } catch (error) {
    if (error instanceof PasswordHashError) throw error;
    // e.g. parameters beyond MAX_MEMORY: a hash this code never wrote
    throw new PasswordHashError('malformed-hash', 'The stored password hash has parameters this server does not accept');
  }
  return timingSafeEqual(actual, expected);
}
