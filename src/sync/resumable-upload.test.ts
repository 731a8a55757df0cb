import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { decryptBuffer, encryptedLength, fileInfo } from '../crypto/index.js';
import { resolveShareRoot, type ShareRoot } from '../scan/open-share-file.js';
import { type ResumeRecord, type UploadRetry, sendResumable } from './resumable-upload.js';
import type { PeerSession } from './types.js';

/** A peer in memory that keeps what arrived of each upload, and drops the first append after `dropAfter` bytes. */
function droppingPeer(dropAfter: number) {
  const held = new Map<string, { uploadId: string; bytes: Buffer }>();
  let drops = 1;
  const session = {
    uploadOffset: async (_user: string, _share: string, storedPath: string, uploadId: string) => {
      const partial = held.get(storedPath);
      if (partial?.uploadId !== uploadId) held.set(storedPath, { uploadId, bytes: Buffer.alloc(0) });
      return held.get(storedPath)?.bytes.length ?? 0;
    },
    appendUpload: async (_user: string, _share: string, storedPath: string, upload: { offset: number; size: number }, body: Readable, ctSha256: () => Buffer) => {
      const partial = held.get(storedPath);
      assert.ok(partial && partial.bytes.length === upload.offset);
      for await (const chunk of body) {
        const room = drops > 0 ? dropAfter - partial.bytes.length : Infinity;
        partial.bytes = Buffer.concat([partial.bytes, (chunk as Buffer).subarray(0, Math.max(0, room))]);
        if (room <= (chunk as Buffer).length) {
          drops -= 1;
          body.destroy();
          throw Object.assign(new Error('connection lost'), { code: 'PEER_CONNECTION_LOST' });
        }
      }
      assert.equal(createHash('sha256').update(partial.bytes).digest('hex'), ctSha256().toString('hex'), 'the trailer is the whole object hash');
      return { complete: true, offset: partial.bytes.length };
    },
  };
  return { session: session as unknown as PeerSession, held };
}

describe('sendResumable', () => {
  let dir: string;
  let root: ShareRoot;
  const key = randomBytes(32);
  const context = { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath: 'big.bin' };
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-resumable-'));
    root = await resolveShareRoot(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('retries a dropped upload from the peer offset, counts progress once, and forgets the record when the peer has it', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 5);
    await writeFile(path.join(dir, 'big.bin'), content);
    const total = encryptedLength(content.length);
    const peer = droppingPeer(Math.floor(total / 2));
    const records = new Map<string, ResumeRecord>();
    const retries: UploadRetry[] = [];
    const progress: number[] = [];
    const sent = await sendResumable(
      {
        records: { find: (relPath) => records.get(relPath), save: (record) => records.set(record.relPath, record), remove: (relPath) => records.delete(relPath) },
        retry: { attempts: 2, firstDelayMs: 1, maxDelayMs: 1 },
        onRetry: (retry) => retries.push(retry),
        now: () => new Date(),
      },
      peer.session,
      { user: 'alice', share: 'backup', storedPath: 'big.bin.enc', root, fsRelPath: 'big.bin', relPath: 'big.bin', size: content.length, readPastCache: true },
      key,
      context,
      (sentBytes) => progress.push(sentBytes),
      new AbortController().signal,
    );
    assert.ok(sent);
    assert.equal(retries.length, 1);
    assert.equal(retries[0]?.code, 'PEER_CONNECTION_LOST');
    const stored = peer.held.get('big.bin.enc')?.bytes ?? Buffer.alloc(0);
    assert.ok(decryptBuffer(key, fileInfo(context), stored).equals(content), 'one ciphertext, from two requests');
    assert.equal(sent.ctSha256, createHash('sha256').update(stored).digest('hex'));
    assert.ok(Math.max(...progress) <= total, 'progress never passes the object: resent bytes are not counted twice');
    assert.equal(records.size, 0, 'nothing kept once the peer has the object');
  });

  it('ends the upload on its way when its signal aborts (a failed batch or sibling), keeps the record and retries nothing', async () => {
    await writeFile(path.join(dir, 'held.bin'), randomBytes(2 * 1024 * 1024));
    const aborted = new AbortController();
    let appends = 0;
    const session = {
      uploadOffset: async () => 0,
      // a slow link: the first piece read, the rest of the body would come only after 10 s, unless the sender ends it
      appendUpload: async (_user: string, _share: string, _storedPath: string, _upload: unknown, body: Readable) => {
        appends += 1;
        const failed = new Promise<Error>((resolve) => body.once('error', resolve));
        await new Promise((resolve) => body.once('readable', resolve));
        aborted.abort(new Error('a batch failed'));
        const error = await Promise.race([failed, delay(10_000).then(() => undefined)]);
        if (error) throw error;
        return { complete: false, offset: 0 };
      },
    } as unknown as PeerSession;
    const records = new Map<string, ResumeRecord>();
    await assert.rejects(
      sendResumable(
        {
          records: { find: (relPath) => records.get(relPath), save: (record) => records.set(record.relPath, record), remove: (relPath) => records.delete(relPath) },
          retry: { attempts: 2, firstDelayMs: 1, maxDelayMs: 1 },
          onRetry: () => assert.fail('an aborted upload is not retried'),
          now: () => new Date(),
        },
        session,
        { user: 'alice', share: 'backup', storedPath: 'held.bin.enc', root, fsRelPath: 'held.bin', relPath: 'held.bin', size: 2 * 1024 * 1024, readPastCache: true },
        key,
        { ...context, relPath: 'held.bin' },
        () => undefined,
        aborted.signal,
      ),
      (error: Error) => error.name === 'AbortError' && (error.cause as Error | undefined)?.message === 'a batch failed',
    );
    assert.equal(appends, 1);
    assert.ok(records.has('held.bin'), 'the record is kept: the next run resumes from what the peer holds');
  });
});
