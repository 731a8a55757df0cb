import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { insertRows } from './multi-row-insert.js';

describe('insertRows', () => {
  const tableWith = () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE items (name TEXT PRIMARY KEY, size INTEGER NOT NULL)');
    return db;
  };
  const upsert = 'ON CONFLICT(name) DO UPDATE SET size = excluded.size';

  it('inserts every row, in full statements and a shorter last one', () => {
    const db = tableWith();
    const rows = Array.from({ length: 250 }, (_, index) => ({ name: `file-${index}`, size: index }));
    insertRows(db, 'items (name, size)', upsert, 2, rows, (row) => [row.name, row.size]);
    assert.deepEqual(db.prepare('SELECT name, size FROM items ORDER BY size').all(), rows);
  });

  it('applies the conflict clause, to a row already there and to one repeated in the same call', () => {
    const db = tableWith();
    insertRows(db, 'items (name, size)', upsert, 2, [{ name: 'a', size: 1 }], (row) => [row.name, row.size]);
    insertRows(db, 'items (name, size)', upsert, 2, [{ name: 'a', size: 2 }, { name: 'b', size: 3 }, { name: 'b', size: 4 }], (row) => [row.name, row.size]);
    assert.deepEqual(db.prepare('SELECT name, size FROM items ORDER BY name').all(), [{ name: 'a', size: 2 }, { name: 'b', size: 4 }]);
  });

  it('does nothing for no rows', () => {
    const db = tableWith();
    insertRows(db, 'items (name, size)', upsert, 2, [], (row: { name: string; size: number }) => [row.name, row.size]);
    assert.equal((db.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n, 0);
  });
});
