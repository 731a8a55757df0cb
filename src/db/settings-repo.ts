import type { Database } from './database.js';

/** Key/value settings of this server (its name, sync acceptance, …). */
export class SettingsRepo {
  private readonly getStatement;
  private readonly setStatement;
  private readonly deleteStatement;

  constructor(db: Database) {
    this.getStatement = db.prepare<[string], { value: string }>('SELECT value FROM server_settings WHERE key = ?');
    this.setStatement = db.prepare<[string, string]>(
      'INSERT INTO server_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.deleteStatement = db.prepare<[string]>('DELETE FROM server_settings WHERE key = ?');
  }

  get(key: string): string | undefined {
    return this.getStatement.get(key)?.value;
  }

  set(key: string, value: string): void {
    this.setStatement.run(key, value);
  }

  delete(key: string): void {
    this.deleteStatement.run(key);
  }
}
