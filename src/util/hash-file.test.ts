import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { hashRegularFile } from './hash-file.js';

describe('hashRegularFile', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anemone-hash-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the size and SHA-256 of a regular file', async () => {
    const content = Buffer.from('stored object');
    writeFileSync(path.join(dir, 'object.enc'), content);
    assert.deepEqual(await hashRegularFile(path.join(dir, 'object.enc')), { size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
  });

  it('does not follow a symlink, and answers undefined for a missing file', async () => {
    symlinkSync(path.join(dir, 'object.enc'), path.join(dir, 'link.enc'));
    assert.equal(await hashRegularFile(path.join(dir, 'link.enc')), undefined);
    assert.equal(await hashRegularFile(path.join(dir, 'missing.enc')), undefined);
  });

  it('does not block on a FIFO that nobody writes to', async () => {
    execFileSync('mkfifo', [path.join(dir, 'fifo.enc')]);
    assert.equal(await hashRegularFile(path.join(dir, 'fifo.enc')), undefined);
  });
});
