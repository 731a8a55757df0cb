import { scrypt, type ScryptOptions } from 'node:crypto';
import { OneAtATime } from './one-at-a-time.js';

/**
 * Every scrypt of this process (sign-ins, the server password, recovery kits)
 * runs one at a time: with N = 2^17 and r = 8 each takes 128 MiB, so a burst of
 * sign-ins or sync sessions waits its turn instead of adding up in memory.
 */
const queue = new OneAtATime();

/** scrypt of `secret` in Unicode NFC, so text typed on systems composing accents differently derives the same key. */
export function scryptOneAtATime(secret: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return queue.run(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(secret.normalize('NFC'), salt, length, options, (error, derived) => (error ? reject(error) : resolve(derived)));
      }),
  );
}
