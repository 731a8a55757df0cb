import type { PeerRow } from './peers-repo.js';
import type { Database } from './database.js';

/** A user row as a recovery kit carries it (see src/recovery/kit-document.ts). */
export interface RestoredUser {
  username: string;
  isAdmin: boolean;
  passwordHash: string;
  wrappedKey: string;
  keyCheck: string | null;
  activatedAt: string;
  createdAt: string;
}

/**
 * A peer row as a recovery kit carries it; the id is kept because the peer's
 * password is wrapped bound to it. Upload limits are absent in kits made
 * before they existed.
 */
export type RestoredPeer = Pick<PeerRow, 'id' | 'name' | 'address' | 'port' | 'wrappedPassword' | 'enabled' | 'timeoutMinutes' | 'fingerprint' | 'createdAt'> &
  Partial<Pick<PeerRow, 'uploadLimitKiBps' | 'uploadWindows'>>;

/** One row of `sync_state`, by names rather than ids, so it survives a rebuild. */
export interface NamedSyncState {
  user: string;
  share: string;
  peerId: number;
  generation: number;
}

/**
 * The rows a recovery kit reads and a rebuilt server writes back as they
 * were: activated users with their timestamps, peers with their ids, and the
 * manifest generations by user and share name.
 */
export class RecoveryRepo {
  constructor(private readonly db: Database) {}

  insertUser(user: RestoredUser): number {
    const result = this.db
      .prepare(
        'INSERT INTO users (username, is_admin, password_hash, wrapped_key, key_check, activated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(user.username, user.isAdmin ? 1 : 0, user.passwordHash, user.wrappedKey, user.keyCheck, user.activatedAt, user.createdAt);
    return Number(result.lastInsertRowid);
  }

  insertPeer(peer: RestoredPeer): void {
    this.db
      .prepare(
        `INSERT INTO peers (id, name, address, port, wrapped_password, enabled, timeout_minutes, fingerprint, upload_limit_kibps, upload_windows, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        peer.id,
        peer.name,
        peer.address,
        peer.port,
        peer.wrappedPassword,
        peer.enabled ? 1 : 0,
        peer.timeoutMinutes,
        peer.fingerprint,
        peer.uploadLimitKiBps ?? null,
        JSON.stringify(peer.uploadWindows ?? []),
        peer.createdAt,
      );
  }

  namedSyncState(): NamedSyncState[] {
    return this.db
      .prepare(
        `SELECT u.username AS user, s.name AS share, ss.peer_id AS peerId, ss.generation AS generation
         FROM sync_state ss JOIN shares s ON s.id = ss.share_id JOIN users u ON u.id = s.user_id
         ORDER BY u.username, s.name, ss.peer_id`,
      )
      .all() as NamedSyncState[];
  }

  /** True while no user and no peer exist: a rebuild writes into an empty database only. */
  isEmpty(): boolean {
    const row = this.db.prepare('SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM peers) AS n').get() as { n: number };
    return row.n === 0;
  }
}
