import type { Database } from './database.js';

export interface ShareRow {
  id: number;
  userId: number;
  username: string;
  name: string;
  syncEnabled: boolean;
  createdAt: string;
}

interface RawShare {
  id: number;
  user_id: number;
  username: string;
  name: string;
  sync_enabled: number;
  created_at: string;
}

const SELECT = `SELECT s.id, s.user_id, u.username, s.name, s.sync_enabled, s.created_at
  FROM shares s JOIN users u ON u.id = s.user_id`;

function toShare(raw: RawShare): ShareRow {
  return {
    id: raw.id,
    userId: raw.user_id,
    username: raw.username,
    name: raw.name,
    syncEnabled: raw.sync_enabled === 1,
    createdAt: raw.created_at,
  };
}

export class SharesRepo {
  constructor(private readonly db: Database) {}

  insert(input: { userId: number; name: string; syncEnabled: boolean; createdAt: string }): number {
    const result = this.db
      .prepare('INSERT INTO shares (user_id, name, sync_enabled, created_at) VALUES (?, ?, ?, ?)')
      .run(input.userId, input.name, input.syncEnabled ? 1 : 0, input.createdAt);
    return Number(result.lastInsertRowid);
  }

  listForUser(userId: number): ShareRow[] {
    return (this.db.prepare(`${SELECT} WHERE s.user_id = ? ORDER BY s.name`).all(userId) as RawShare[]).map(toShare);
  }

  listAll(): ShareRow[] {
    return (this.db.prepare(`${SELECT} ORDER BY u.username, s.name`).all() as RawShare[]).map(toShare);
  }

  listSyncEnabled(): ShareRow[] {
    return (this.db.prepare(`${SELECT} WHERE s.sync_enabled = 1 ORDER BY u.username, s.name`).all() as RawShare[]).map(toShare);
  }

  findById(id: number): ShareRow | undefined {
    const raw = this.db.prepare(`${SELECT} WHERE s.id = ?`).get(id) as RawShare | undefined;
    return raw && toShare(raw);
  }
}
