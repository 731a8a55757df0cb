import type { ScryptOptions } from 'node:crypto';
import { ScryptLane } from './scrypt-lane.js';

/**
 * Who a scrypt is for; each has its own queue in the one lane.
 * - `accounts`: sign-ins, new passwords, recovery-kit passphrases;
 * - `peers`: the server password a peer sends to open a sync session or fetch its kit.
 */
export type ScryptLaneName = 'accounts' | 'peers';

/**
 * One worker thread for every scrypt of the process, one hash at a time:
 * a password hash holds 32 MiB (a recovery kit's passphrase 64 MiB), and two
 * at once (a sign-in while a peer opens a session) made the process's peak
 * one hash higher. The queues take turns, so a flood of web sign-ins delays a peer's
 * server-password check by one hash at most, and the other way round.
 * Process-wide on purpose (the one exception to "no module-level state"):
 * the memory it bounds is the process's. A burst beyond `maxWaiting` in a
 * queue is refused at once (PasswordHashError 'busy') rather than queued for minutes.
 */
const lane = new ScryptLane({ name: 'all', maxWaiting: 8 });

/** scrypt of `secret` in Unicode NFC, so text typed on systems composing accents differently derives the same key. */
export function scryptOneAtATime(secret: string, salt: Buffer, length: number, options: ScryptOptions, queue: ScryptLaneName = 'accounts'): Promise<Buffer> {
  return lane.derive(secret.normalize('NFC'), salt, length, options, queue);
}
