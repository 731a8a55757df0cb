import { randomBytes } from 'node:crypto';
import { SALT_LENGTH } from './format-v1.js';

/** Salts drawn per request to the CSPRNG: one request per this many files instead of one per file. */
const SALTS_PER_BLOCK = 256;

/**
 * Hands out fresh 12-byte salts, each a view of a larger random block: a
 * request to the CSPRNG cost about 5.6 µs per small file, a view of a block
 * a fraction of it. Each salt is handed out once, and a block is never
 * refilled (the next one is new), so a salt stays what it was for as long as
 * anyone holds it.
 */
export class SaltBlock {
  private block = Buffer.alloc(0);
  private next = 0;

  take(): Buffer {
    if (this.next === this.block.length) {
      this.block = randomBytes(SALT_LENGTH * SALTS_PER_BLOCK);
      this.next = 0;
    }
    const salt = this.block.subarray(this.next, this.next + SALT_LENGTH);
    this.next += SALT_LENGTH;
    return salt;
  }
}
