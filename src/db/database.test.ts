import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openDatabase } from './database.js';

describe('the database connection', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("keeps SQLite's page cache at 4 MiB, not better-sqlite3's 16 MB, however large the database grows", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-database-'));
    const db = openDatabase(path.join(dir, 'anemone.db'));
    const cacheSize = () => (db.prepare('PRAGMA cache_size').get() as { cache_size: number }).cache_size;
    assert.equal(cacheSize(), -4096);
    // a database larger than the cache still reads back whole: pages beyond it come from the file
    db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)');
    const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
    const row = Buffer.alloc(4096, 7);
    db.transaction(() => {
      for (let i = 0; i < 2048; i++) insert.run(row);
    })();
    const { pages, pageSize } = db.prepare('SELECT page_count AS pages, page_size AS pageSize FROM pragma_page_count(), pragma_page_size()').get() as { pages: number; pageSize: number };
    assert.ok(pages * pageSize > 4096 * 1024, `the database (${pages * pageSize} bytes) is larger than the cache`);
    assert.deepEqual(db.prepare('SELECT count(*) AS n, sum(length(body)) AS bytes FROM filler').get(), { n: 2048, bytes: 2048 * 4096 });
    assert.equal(cacheSize(), -4096);
    db.close();
  });
});
