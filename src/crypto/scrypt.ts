import type { ScryptOptions } from 'node:crypto';
import { ScryptLane } from './scrypt-lane.js';

/**
 * Who a scrypt is for. Each lane is one worker thread running one hash at a
 * time, so a process holds at most two hashes at once (with N = 2^16, r = 8, p = 2,
 * 64 MiB each: 128 MiB), and a flood of web sign-ins never delays the peers'
 * server-password checks, nor the other way round.
 * - `accounts`: sign-ins, new passwords, recovery-kit passphrases;
 * - `peers`: the server password a peer sends to open a sync session or fetch its kit.
 */
export type ScryptLaneName = 'accounts' | 'peers';

/**
 * Process-wide on purpose (the one exception to "no module-level state"):
 * the memory the lanes bound is the process's. A burst beyond `maxWaiting`
 * is refused at once (PasswordHashError 'busy') rather than queued for minutes.
 */
const lanes: Record<ScryptLaneName, ScryptLane> = {
  accounts: new ScryptLane({ name: 'accounts', maxWaiting: 8 }),
  peers: new ScryptLane({ name: 'peers', maxWaiting: 8 }),
};

/** scrypt of `secret` in Unicode NFC, so text typed on systems composing accents differently derives the same key. */
export function scryptOneAtATime(secret: string, salt: Buffer, length: number, options: ScryptOptions, lane: ScryptLaneName = 'accounts'): Promise<Buffer> {
  return lanes[lane].derive(secret.normalize('NFC'), salt, length, options);
}
