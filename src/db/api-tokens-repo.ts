import type { Database } from './database.js';

/** An API token as listed: never its secret, which is not stored. */
export interface ApiTokenRow {
  id: number;
  name: string;
  scope: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const COLUMNS = 'id, name, scope, created_at AS createdAt, last_used_at AS lastUsedAt';

/** API tokens (table `api_tokens`), stored by the SHA-256 of their secret. */
export class ApiTokensRepo {
  constructor(private readonly db: Database) {}

  /** The new token's id, or undefined when the name is taken. */
  insert(input: { name: string; scope: string; tokenHash: string; createdAt: string }): number | undefined {
    const result = this.db
      .prepare('INSERT INTO api_tokens (name, scope, token_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING')
      .run(input.name, input.scope, input.tokenHash, input.createdAt);
    return result.changes === 1 ? Number(result.lastInsertRowid) : undefined;
  }

  list(): ApiTokenRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM api_tokens ORDER BY id`).all() as ApiTokenRow[];
  }

  /** The token whose secret hashes to `tokenHash`, with that hash (to compare it again in constant time). */
  findByHash(tokenHash: string): (ApiTokenRow & { tokenHash: string }) | undefined {
    return this.db.prepare(`SELECT ${COLUMNS}, token_hash AS tokenHash FROM api_tokens WHERE token_hash = ?`).get(tokenHash) as
      | (ApiTokenRow & { tokenHash: string })
      | undefined;
  }

  touch(id: number, at: string): void {
    this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(at, id);
  }

  /** True when a token was deleted. */
  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id).changes === 1;
  }
}
