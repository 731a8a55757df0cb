import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { migrations } from './migrations.js';

export type Database = BetterSqlite3.Database;

/**
 * Node 24.19+ aborts the process when better-sqlite3 12 (13 needs Node 22,
 * and Node 20 must keep working) finalizes a Statement or Database from a GC
 * that runs outside JavaScript ("RemoveEnvironmentCleanupHook: env !=
 * nullptr"). So none may ever become garbage: every Database opened here is
 * kept for the life of the process, and each one prepares a given SQL text
 * once and hands out that same statement again (so never call db.pragma(),
 * which prepares a new one each time).
 */
const keptForProcessLifetime = new Set<Database>();

function keepStatements(db: Database): Database {
  const prepared = new Map<string, BetterSqlite3.Statement>();
  const prepareOnce = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = prepareOnce(sql);
      prepared.set(sql, statement);
    }
    return statement;
  }) as Database['prepare'];
  keptForProcessLifetime.add(db);
  return db;
}

/** Opens an existing SQLite file read-only, without touching it (tests look inside a server's database). */
export function openDatabaseReadOnly(dbPath: string): Database {
  return keepStatements(new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true }));
}

/**
 * SQLite's page cache, in KiB as cache_size takes it (negative). better-sqlite3
 * builds SQLite with 16 MB, which a server's database (a row per file synced,
 * sent or received, and their indexes) fills during a sync of tens of
 * thousands of files: 16 MB of the process's peak that the OS's page cache
 * holds again anyway (issue 15: < 150 MB during every sync). A page that is
 * not in it costs a read from the page cache, a few microseconds.
 */
export const PAGE_CACHE_KIB = -4096;

/** Opens (creating if needed) the SQLite file and brings its schema up to date. */
export function openDatabase(dbPath: string): Database {
  mkdirSync(path.dirname(dbPath), { recursive: true, mode: 0o700 });
  const db = keepStatements(new BetterSqlite3(dbPath));
  // PRAGMA through prepare, not db.pragma(): that one makes a new statement (future garbage) on every call
  db.prepare('PRAGMA journal_mode = WAL').get();
  db.prepare('PRAGMA synchronous = NORMAL').run();
  db.prepare('PRAGMA foreign_keys = ON').run();
  db.prepare('PRAGMA busy_timeout = 5000').get();
  db.prepare(`PRAGMA cache_size = ${PAGE_CACHE_KIB}`).run();
  applyMigrations(db);
  return db;
}

export function applyMigrations(db: Database): void {
  const current = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (current > migrations.length) {
    throw new Error(
      `The database is at schema version ${current}, newer than this Anemone knows (${migrations.length}); run the newer Anemone or restore a backup of the database.`,
    );
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    const sql = migrations[version - 1] as string;
    db.transaction(() => {
      db.exec(sql);
      // exec: a one-off statement text that prepare would keep for nothing
      db.exec(`PRAGMA user_version = ${version}`);
    })();
  }
}
