import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decryptBuffer, fileInfo, SALT_LENGTH } from '../../crypto/index.js';
import { BatchBodyBuilder } from '../../protocol/v1/index.js';
import { descriptorsUnder } from '../../../test/helpers/descriptors.js';
import { tempShareFolder } from '../../../test/helpers/temp-share.js';
import { SmallFileSealer, type SealOutcome } from './seal-small-files.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
/** Runs `work` while counting the open descriptors onto `folder`'s files at every turn of the event loop; returns its result and the most seen. */
async function countingDescriptors<T>(folder: string, work: () => Promise<T>): Promise<{ result: T; most: number }> {
  let most = descriptorsUnder(folder).length;
  let counting = true;
  const count = async () => {
    while (counting) {
      most = Math.max(most, descriptorsUnder(folder).length);
      await nextTurn();
    }
  };
  const counted = count();
  const result = await work();
  counting = false;
  await counted;
  return { result, most };
}

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

  it('reads ahead once reads wait on the disk: the same outcomes as one file at a time, and every descriptor closed after', async () => {
    await symlink('/etc/passwd', path.join(share.dir, 'ahead-link.txt'));
    const contents = Array.from({ length: 120 }, (_, index) => randomBytes([0, 1, 4096, 100 * 1024][index % 4] as number));
    const contentOf = new Map<string, Buffer>();
    const written = async (content: Buffer, scannedSize: number) => {
      const relPath = await share.fileWith(content);
      contentOf.set(relPath, content);
      return toSeal(relPath, scannedSize);
    };
    const files = await Promise.all(contents.map((content) => written(content, content.length)));
    files.splice(40, 0, toSeal('ahead-missing.txt', 10), toSeal('ahead-link.txt', 10));
    const grown = randomBytes(2000);
    files.splice(70, 0, await written(grown, 1000));
    const oneByOne = sealer(100 * 1024 + 1).sealInto(new BatchBodyBuilder(16 * 1024 * 1024), files);
    const openDescriptors = () => descriptorsUnder(share.dir).length;
    assert.equal(openDescriptors(), 0);
    const builder = new BatchBodyBuilder(16 * 1024 * 1024);
    // every read counts as slow: the job reads ahead after its second file
    const everyReadSlow = new SmallFileSealer({ root: share.root, context, userKey: Buffer.from(key), readBufferBytes: 100 * 1024 + 1 }, { slowReadMs: -1 });
    const { result: outcomes, most } = await countingDescriptors(share.dir, () => everyReadSlow.sealIntoReadingAhead(builder, files));
    assert.ok(most >= 16, `files were open ahead at once (${most} most)`);
    const summary = (outcome: SealOutcome) => (outcome.kind === 'sealed' ? { kind: outcome.kind, size: outcome.size, sha256: outcome.sha256 } : outcome);
    assert.deepEqual(outcomes.map(summary), oneByOne.map(summary));
    assert.deepEqual(outcomes.slice(40, 42), [
      { kind: 'skipped', reason: 'vanished' },
      { kind: 'skipped', reason: 'symlink' },
    ]);
    assert.equal(outcomes[70]?.kind === 'sealed' && outcomes[70].sha256, sha256(grown));
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.kind !== 'sealed') continue;
      const { relPath } = files[index] as { relPath: string };
      assert.ok(decryptBuffer(key, fileInfo({ ...context, relPath }), sealedBytes(builder, outcome)).equals(contentOf.get(relPath) as Buffer), relPath);
    }
    for (let turn = 0; turn < 1000 && openDescriptors() > 0; turn++) await nextTurn();
    assert.equal(openDescriptors(), 0, 'every descriptor opened ahead is closed once its read completed');
  });

  it('closes each descriptor read ahead once when framing a file throws: the error is the one thrown, and every descriptor is closed after', async () => {
    const files = await Promise.all(Array.from({ length: 80 }, async () => toSeal(await share.fileWith(randomBytes(4096)), 4096)));
    const failure = new Error('framing failed');
    /** A body that throws on its 41st file: by then the event loop had turns, and the reads ahead of the first files completed. */
    class FailingBody extends BatchBodyBuilder {
      private appended = 0;
      override tryAppendHashed(storedPath: string, pieces: readonly Buffer[]) {
        if (++this.appended === 41) throw failure;
        return super.tryAppendHashed(storedPath, pieces);
      }
    }
    const openDescriptors = () => descriptorsUnder(share.dir).length;
    assert.equal(openDescriptors(), 0);
    const everyReadSlow = new SmallFileSealer({ root: share.root, context, userKey: Buffer.from(key), readBufferBytes: 4097 }, { slowReadMs: -1 });
    await assert.rejects(everyReadSlow.sealIntoReadingAhead(new FailingBody(1024 * 1024), files), (error) => error === failure);
    for (let turn = 0; turn < 1000 && openDescriptors() > 0; turn++) await nextTurn();
    assert.equal(openDescriptors(), 0, 'every descriptor opened ahead is closed');
  });

  it('reads one file at a time while its reads do not wait on the disk', async () => {
    const files = await Promise.all(Array.from({ length: 60 }, async () => toSeal(await share.fileWith(randomBytes(4096)), 4096)));
    const neverSlow = new SmallFileSealer({ root: share.root, context, userKey: Buffer.from(key), readBufferBytes: 4097 }, { slowReadMs: 60_000 });
    const { result: outcomes, most } = await countingDescriptors(share.dir, () => neverSlow.sealIntoReadingAhead(new BatchBodyBuilder(1024 * 1024), files));
    assert.deepEqual(new Set(outcomes.map((outcome) => outcome.kind)), new Set(['sealed']));
    assert.equal(most, 0, 'no file was open between two files');
  });

  it('zeroes its copy of the key when told the run is over', () => {
    const userKey = Buffer.from(key);
    new SmallFileSealer({ root: share.root, context, userKey, readBufferBytes: 1 }).forgetKey();
    assert.ok(userKey.equals(Buffer.alloc(32)));
  });
});
