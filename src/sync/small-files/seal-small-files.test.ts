import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { decryptBuffer, fileInfo, SALT_LENGTH } from '../../crypto/index.js';
import { BatchBodyBuilder } from '../../protocol/v1/index.js';
import { tempShareFolder } from '../../../test/helpers/temp-share.js';
import { SmallFileSealer, type SealOutcome } from './seal-small-files.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('SmallFileSealer', () => {
  const share = tempShareFolder('anemone-seal-small-');
  const key = randomBytes(32);
  const context = { sourceServer: 'server-a', user: 'alice', share: 'backup' };

  const toSeal = (relPath: string, size: number) => ({ relPath, fsRelPath: relPath, storedPath: `${relPath}.enc`, size });
  const sealer = (readBufferBytes: number) => new SmallFileSealer({ root: share.root, context, userKey: Buffer.from(key), readBufferBytes });
  const sealedBytes = (builder: BatchBodyBuilder, outcome: SealOutcome | undefined) => {
    assert.equal(outcome?.kind, 'sealed');
    const sealed = outcome as Extract<SealOutcome, { kind: 'sealed' }>;
    return builder.body().subarray(sealed.bodyStart, sealed.bodyStart + sealed.bodyBytes);
  };

  it('seals each file in format v1 into the body, with the hashes of both sides, reusing one read buffer', async () => {
    const files = await Promise.all([0, 1, 4096, 64 * 1024].map(async (length) => ({ content: randomBytes(length), relPath: '' })));
    for (const file of files) file.relPath = await share.fileWith(file.content);
    const builder = new BatchBodyBuilder(1024 * 1024);
    const outcomes = sealer(64 * 1024 + 1).sealInto(builder, files.map((file) => toSeal(file.relPath, file.content.length)));
    for (const [index, file] of files.entries()) {
      const outcome = outcomes[index] as Extract<SealOutcome, { kind: 'sealed' }>;
      const body = sealedBytes(builder, outcome);
      assert.equal(outcome.size, file.content.length);
      assert.equal(outcome.sha256, sha256(file.content));
      assert.equal(outcome.bodyBytes, body.length);
      assert.equal(outcome.ctSha256, sha256(body));
      assert.ok(decryptBuffer(key, fileInfo({ ...context, relPath: file.relPath }), body).equals(file.content), `${file.content.length} bytes round-trip`);
    }
    assert.equal(builder.items, files.length);
  });

  it('draws a different salt for every file, the same content included', async () => {
    const content = Buffer.from('the same bytes');
    const relPaths = await Promise.all(Array.from({ length: 600 }, () => share.fileWith(content)));
    const builder = new BatchBodyBuilder(1024 * 1024);
    const outcomes = sealer(1024).sealInto(builder, relPaths.map((relPath) => toSeal(relPath, content.length)));
    const salts = new Set(outcomes.map((outcome) => sealedBytes(builder, outcome).subarray(0, SALT_LENGTH).toString('hex')));
    assert.equal(salts.size, relPaths.length);
  });

  it('records what it read when the file changed size since the scan, within the read buffer', async () => {
    const builder = new BatchBodyBuilder(64 * 1024);
    const grown = randomBytes(700);
    const shrunk = randomBytes(300);
    const [first, second] = sealer(1024 + 1).sealInto(builder, [toSeal(await share.fileWith(grown), 500), toSeal(await share.fileWith(shrunk), 500)]);
    assert.equal(first?.kind === 'sealed' && first.size, 700);
    assert.equal(first?.kind === 'sealed' && first.sha256, sha256(grown));
    assert.equal(second?.kind === 'sealed' && second.sha256, sha256(shrunk));
  });

  it('reports a file that grew past what a batch may carry as changed, and frames nothing of it', async () => {
    const builder = new BatchBodyBuilder(64 * 1024);
    assert.deepEqual(sealer(1024 + 1).sealInto(builder, [toSeal(await share.fileWith(randomBytes(5000)), 1000)]), [{ kind: 'changed' }]);
    assert.equal(builder.bytes, 0);
  });

  it('skips a file that is gone, a symbolic link or a FIFO, reading nothing of it', async () => {
    await symlink('/etc/passwd', path.join(share.dir, 'link.txt'));
    execFileSync('mkfifo', [path.join(share.dir, 'pipe.txt')]);
    const builder = new BatchBodyBuilder(64 * 1024);
    const outcomes = sealer(64 * 1024).sealInto(builder, [toSeal('missing.txt', 10), toSeal('link.txt', 10), toSeal('pipe.txt', 10)]);
    assert.deepEqual(outcomes, [
      { kind: 'skipped', reason: 'vanished' },
      { kind: 'skipped', reason: 'symlink' },
      { kind: 'skipped', reason: 'not-a-regular-file' },
    ]);
    assert.equal(builder.bytes, 0);
  });

  it('leaves a file for a later batch when the body has no room for it', async () => {
    const builder = new BatchBodyBuilder(6000);
    const outcomes = sealer(4097).sealInto(builder, [toSeal(await share.fileWith(randomBytes(4096)), 4096), toSeal(await share.fileWith(randomBytes(4096)), 4096)]);
    assert.deepEqual(outcomes.map((outcome) => outcome.kind), ['sealed', 'later']);
    assert.equal(builder.items, 1);
  });

  it('zeroes its copy of the key when told the run is over', () => {
    const userKey = Buffer.from(key);
    new SmallFileSealer({ root: share.root, context, userKey, readBufferBytes: 1 }).forgetKey();
    assert.ok(userKey.equals(Buffer.alloc(32)));
  });
});
