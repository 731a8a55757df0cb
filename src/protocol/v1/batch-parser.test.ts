import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { AnemoneError } from '../../errors/catalogue.js';
import { encodeBatchItemHead, limits } from './index.js';
import { type BatchEvent, BatchParser } from './batch-parser.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function frame(items: { path: string; bytes: Buffer }[]): Buffer {
  return Buffer.concat(items.flatMap((item) => [encodeBatchItemHead({ path: item.path, size: item.bytes.length, ctSha256: sha(item.bytes) }), item.bytes]));
}

/** Feeds `body` in chunks of `chunkSize` and gathers the files the events describe. */
function parse(body: Buffer, chunkSize: number, parser = new BatchParser()): { path: string; bytes: Buffer }[] {
  const files: { path: string; parts: Buffer[] }[] = [];
  const events: BatchEvent[] = [];
  for (let offset = 0; offset < body.length; offset += chunkSize) {
    events.push(...parser.push(body.subarray(offset, offset + chunkSize)));
  }
  parser.finish();
  for (const event of events) {
    if (event.kind === 'item') files.push({ path: event.header.path, parts: [] });
    else if (event.kind === 'data') files.at(-1)?.parts.push(event.chunk);
  }
  return files.map((file) => ({ path: file.path, bytes: Buffer.concat(file.parts) }));
}

const code = (expected: string) => (error: unknown) => error instanceof AnemoneError && error.code === expected;

describe('BatchParser', () => {
  const items = [
    { path: 'a.enc', bytes: Buffer.from('first file') },
    { path: 'empty.enc', bytes: Buffer.alloc(0) },
    { path: 'dir/b.enc', bytes: Buffer.alloc(70_000, 7) },
    { path: 'c.enc', bytes: Buffer.from('last') },
  ];

  it('gives back every item whatever the chunk boundaries', () => {
    const body = frame(items);
    for (const chunkSize of [1, 2, 3, 5, 7, 64, 4096, body.length]) {
      assert.deepEqual(parse(body, chunkSize), items, `chunks of ${chunkSize}`);
    }
  });

  it('refuses a body that stops inside an item', () => {
    const body = frame(items);
    for (const cut of [2, 10, body.length - 1]) {
      assert.throws(() => parse(body.subarray(0, cut), 4096), code('VALIDATION_FAILED'), `cut at ${cut}`);
    }
  });

  it('refuses bad headers: zero or oversized length, not JSON, wrong fields', () => {
    const lengthOnly = (length: number) => {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(length);
      return head;
    };
    const withHeader = (json: string) => Buffer.concat([lengthOnly(Buffer.byteLength(json)), Buffer.from(json)]);
    assert.throws(() => parse(lengthOnly(0), 16), code('VALIDATION_FAILED'));
    assert.throws(() => parse(lengthOnly(9000), 16), code('VALIDATION_FAILED'));
    assert.throws(() => parse(withHeader('{not json'), 16), code('VALIDATION_FAILED'));
    assert.throws(() => parse(withHeader(JSON.stringify({ path: 'a.enc', size: -1, ctSha256: sha(Buffer.alloc(0)) })), 16), code('VALIDATION_FAILED'));
    assert.throws(() => parse(withHeader(JSON.stringify({ path: 'a.enc', size: 1, ctSha256: 'XYZ' })), 16), code('VALIDATION_FAILED'));
  });

  it('refuses an item larger than a batch file may be, before reading it', () => {
    const head = encodeBatchItemHead({ path: 'big.enc', size: limits.batchFileMaxBytes + 1, ctSha256: sha(Buffer.alloc(0)) });
    assert.throws(() => [...new BatchParser().push(head)], code('PAYLOAD_TOO_LARGE'));
  });

  it('refuses more files than a batch holds', () => {
    const body = frame(Array.from({ length: 4 }, (_, index) => ({ path: `${index}.enc`, bytes: Buffer.from('x') })));
    assert.throws(() => parse(body, 64, new BatchParser(3)), code('PAYLOAD_TOO_LARGE'));
  });

  it('holds no more than a header at a time: file bytes are slices of the chunks received', () => {
    const body = frame([{ path: 'a.enc', bytes: Buffer.alloc(100_000, 1) }]);
    const parser = new BatchParser();
    const events = [...parser.push(body)];
    const data = events.filter((event) => event.kind === 'data');
    assert.equal(data.length, 1);
    assert.equal((data[0] as { chunk: Buffer }).chunk.buffer, body.buffer);
  });
});
