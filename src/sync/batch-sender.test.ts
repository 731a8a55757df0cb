import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { BatchBodyBuilder, encodeBatchItemHead, limits } from '../protocol/v1/index.js';
import { BATCH_BYTES, BatchSender, type BatchFile, type FramedBatch } from './batch-sender.js';
import type { BatchItem, PeerSession } from './types.js';
import { itemsOfBatchBody } from '../../test/helpers/batch-body.js';
import { UploadProgress } from './upload-progress.js';

/** A small file sealed for a batch: its `.enc` bytes are `pieces` joined. */
interface SealedItem {
  path: string;
  ctSha256: string;
  pieces: readonly Buffer[];
  bodyBytes: number;
}

/**
 * Frames files into bodies from `takeBuffer` and sends each once it holds
 * BATCH_BYTES, as the sealing thread and sendSmallFiles do; several callers
 * may add at once (each add frames into the body being filled).
 */
class Framer {
  private builder: BatchBodyBuilder | undefined;
  private items: BatchItem[] = [];
  private files: BatchFile[] = [];
  private plainBytes = 0;

  constructor(private readonly sender: BatchSender) {}

  async add(item: SealedItem, relPath: string, plainBytes: number, arrived: () => void): Promise<void> {
    this.builder ??= new BatchBodyBuilder(Buffer.from(this.sender.takeBuffer()));
    const body = this.builder.tryAppend({ path: item.path, size: item.bodyBytes, ctSha256: item.ctSha256 }, item.pieces);
    assert.ok(body, 'every test item fits');
    this.items.push({ path: item.path, ctSha256: item.ctSha256, body });
    this.files.push({ relPath, arrived } satisfies BatchFile);
    this.plainBytes += plainBytes;
    if (this.builder.bytes >= BATCH_BYTES || this.builder.items >= limits.batchMaxFiles) await this.flush();
  }

  async drain(): Promise<void> {
    if (this.items.length > 0) await this.flush();
    await this.sender.drain();
  }

  private async flush(): Promise<void> {
    const { items, files } = this;
    const batch: FramedBatch = {
      body: (this.builder as BatchBodyBuilder).body(),
      count: items.length,
      plainBytes: this.plainBytes,
      arrived: () => {
        for (const file of files) file.arrived();
      },
      split: () => ({ items, files }),
    };
    this.builder = undefined;
    this.items = [];
    this.files = [];
    this.plainBytes = 0;
    await this.sender.send(batch);
  }
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A small file as the sender seals it: salt, ciphertext and tag apart. */
function sealed(index: number, bytes = 4096): { item: SealedItem; joined: Buffer } {
  const pieces = [randomBytes(12), randomBytes(bytes), randomBytes(16)];
  const joined = Buffer.concat(pieces);
  return { item: { path: `f/${index}.enc`, ctSha256: sha(joined), pieces, bodyBytes: joined.length }, joined };
}

interface Call {
  /** The items handed over, or those a framed body held when it was handed over. */
  items: BatchItem[];
  /** The body handed over framed (putBatchBody), undefined for items sent one by one (putBatch). */
  framed: Buffer | undefined;
  /** The body's bytes when it was handed over. */
  copy: Buffer | undefined;
}

/** A session whose batches the test answers: each call waits for `answer` (undefined: accepted). */
function answeringSession(answer: (call: Call) => Promise<Error | undefined>, calls: Call[]): PeerSession {
  const unused = async (): Promise<never> => {
    throw new Error('not used by a batch');
  };
  return {
    fetchManifest: unused,
    putManifest: unused,
    putManifestDelta: unused,
    putFile: unused,
    listFiles: unused,
    deleteFiles: unused,
    close: async () => undefined,
    putBatch: async (_user, _share, items) => {
      calls.push({ items, framed: undefined, copy: undefined });
      const error = await answer(calls.at(-1) as Call);
      if (error) throw error;
    },
    putBatchBody: async (_user, _share, framed) => {
      const copy = Buffer.from(framed);
      calls.push({ items: itemsOfBatchBody(copy), framed, copy });
      const error = await answer(calls.at(-1) as Call);
      if (error) throw error;
    },
  };
}

const framingOf = (items: readonly { path: string; ctSha256: string; body: Buffer }[]) =>
  Buffer.concat(items.flatMap((item) => [encodeBatchItemHead({ path: item.path, size: item.body.length, ctSha256: item.ctSha256 }), item.body]));

describe('BatchSender', () => {
  it('sends each batch as one body framing its files, and a file arrives once its batch was acknowledged', async () => {
    const calls: Call[] = [];
    const arrived: string[] = [];
    const sender = new Framer(new BatchSender(answeringSession(async () => undefined, calls), 'alice', 'backup', new UploadProgress(() => undefined), () => assert.fail('nothing refused')));
    const files = Array.from({ length: 2500 }, (_, index) => sealed(index));
    for (const [index, file] of files.entries()) await sender.add(file.item, `f/${index}`, 4096, () => arrived.push(`f/${index}`));
    await sender.drain();
    assert.ok(calls.length >= 3, `${calls.length} batches`);
    let next = 0;
    for (const call of calls) {
      assert.ok(call.framed, 'each batch goes as one framed body');
      const added = files.slice(next, (next += call.items.length));
      const expected = framingOf(added.map((file) => ({ path: file.item.path, ctSha256: file.item.ctSha256, body: file.joined })));
      assert.ok(call.copy?.equals(expected), 'the body frames the files added, in order');
    }
    assert.equal(next, files.length);
    assert.deepEqual(arrived, files.map((_, index) => `f/${index}`));
  });

  it('never writes over a body the peer has not acknowledged yet, reuses it once acknowledged, and lets it go at the drain', async () => {
    const calls: Call[] = [];
    const intact: boolean[] = [];
    const slowPeer = async (call: Call) => {
      // the next batches are framed while this one is still on its way
      for (let turn = 0; turn < 1000; turn += 1) await nextTurn();
      intact.push(call.framed?.equals(call.copy as Buffer) ?? false);
      return undefined;
    };
    const batches = new BatchSender(answeringSession(slowPeer, calls), 'alice', 'backup', new UploadProgress(() => undefined), () => assert.fail('nothing refused'));
    const sender = new Framer(batches);
    await Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let index = worker; index < 6000; index += 4) {
          // a file read takes a trip through the event loop, as through libuv's pool
          await nextTurn();
          await sender.add(sealed(index).item, `f/${index}`, 4096, () => undefined);
        }
      }),
    );
    await sender.drain();
    assert.ok(calls.length >= 4, `${calls.length} batches`);
    assert.deepEqual(intact, calls.map(() => true));
    // bodies are reused once acknowledged: a few buffers for the whole run
    // reused once acknowledged: fewer buffers than batches
    assert.ok(new Set(calls.map((call) => call.framed?.buffer)).size < calls.length);
    // no batch follows a drain: the buffers are let go, not held beside the run's large files
    const used = new Set(calls.map((call) => call.framed?.buffer));
    assert.equal(used.has(batches.takeBuffer()), false, 'a body buffer was still held after the drain');
  });

  it('keeps a refused batch\'s body for the files sent again one by one, while the next batches are framed', async () => {
    const calls: Call[] = [];
    const refused: string[] = [];
    const files = Array.from({ length: 2500 }, (_, index) => sealed(index, index === 10 ? 4000 : 4096));
    const refusal = Object.assign(new Error('The peer refused a file path'), { code: 'PATH_INVALID', hint: 'x' });
    const picky = async (call: Call) => {
      await nextTurn();
      return call.items.some((item) => item.path === 'f/10.enc') ? refusal : undefined;
    };
    const sender = new Framer(new BatchSender(answeringSession(picky, calls), 'alice', 'backup', new UploadProgress(() => undefined), (relPath) => refused.push(relPath)));
    for (const [index, file] of files.entries()) await sender.add(file.item, `f/${index}`, 4096, () => undefined);
    await sender.drain();
    assert.deepEqual(refused, ['f/10']);
    const oneByOne = calls.filter((call) => call.framed === undefined);
    assert.ok(oneByOne.length > 1);
    for (const call of oneByOne) {
      const [item] = call.items;
      const index = Number(/f\/(\d+)\.enc/.exec(item?.path ?? '')?.[1]);
      assert.ok(item?.body.equals(files[index]?.joined as Buffer), `${item?.path} sent again as sealed`);
    }
  });
  it('drains every batch sent, also one whose room nobody waited for, and throws its failure only once none is in flight', async () => {
    const calls: Call[] = [];
    const answers: ((error: Error | undefined) => void)[] = [];
    const held = (_call: Call) => new Promise<Error | undefined>((resolve) => answers.push(resolve));
    const sender = new BatchSender(answeringSession(held, calls), 'alice', 'backup', new UploadProgress(() => undefined), () => assert.fail('nothing refused'));
    const batchOf = (index: number): FramedBatch => {
      const { item } = sealed(index);
      const builder = new BatchBodyBuilder(Buffer.from(sender.takeBuffer()));
      assert.ok(builder.tryAppend({ path: item.path, size: item.bodyBytes, ctSha256: item.ctSha256 }, item.pieces));
      return { body: builder.body(), count: 1, plainBytes: 4096, arrived: () => undefined, split: () => assert.fail('not refused') };
    };
    await sender.send(batchOf(0));
    // the last batch: what follows it does not wait for the room it makes (the first batch's acknowledgement)
    const room = sender.send(batchOf(1));
    room.catch(() => undefined);
    let drained: 'pending' | 'resolved' | Error = 'pending';
    const drain = sender.drain().then(
      () => (drained = 'resolved'),
      (error: Error) => (drained = error),
    );
    (answers[1] as (error: Error | undefined) => void)(undefined);
    for (let turn = 0; turn < 10; turn += 1) await nextTurn();
    assert.equal(drained, 'pending', 'drained while the first batch was still in flight');
    (answers[0] as (error: Error | undefined) => void)(new Error('the first batch failed'));
    await drain;
    assert.match(String(drained), /the first batch failed/);
    await assert.rejects(room, /the first batch failed/);
    assert.equal(calls.length, 2);
  });
});
