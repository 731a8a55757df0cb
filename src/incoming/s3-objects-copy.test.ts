import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { S3Location } from '../config/config.js';
import { AnemoneError } from '../errors/catalogue.js';
import { S3Objects } from './s3-objects.js';

const location: S3Location = { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', bucket: 'anemone', prefix: 'peer', forcePathStyle: true, accessKeyId: 'k', secretAccessKey: 's' };
const limits = { maxSingleCopyBytes: 100, copyPartBytes: 30 };

interface Sent {
  command: string;
  input: Record<string, unknown>;
}

/**
 * A fake S3 client, because the tests' S3 server (s3rver) answers
 * UploadPartCopy with NotImplemented and a real 5 GiB object is out of reach:
 * it records the requests a copy sends and answers as S3 does, so the test
 * checks what the real storage would be asked (the ranges, the order, the
 * abort). What it isolates is S3Objects.copy's own arithmetic; the storage's
 * side of a single CopyObject is covered on s3rver by the store's contract.
 */
function fakeS3(objectSize: number, options: { failPart?: number; failAbort?: boolean } = {}): { client: S3Client; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ command: command.constructor.name, input: command.input });
      if (command instanceof HeadObjectCommand) return { ContentLength: objectSize };
      if (command instanceof CreateMultipartUploadCommand) return { UploadId: 'upload-1' };
      if (command instanceof AbortMultipartUploadCommand && options.failAbort) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      if (command instanceof UploadPartCopyCommand) {
        if (command.input.PartNumber === options.failPart) throw Object.assign(new Error('We encountered an internal error'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
        return { CopyPartResult: { ETag: `"etag-${command.input.PartNumber}"` } };
      }
      return {};
    },
  };
  return { client: client as unknown as S3Client, sent };
}

/** The byte ranges the part copies asked for, as [first, last] pairs. */
function rangesOf(sent: Sent[]): [number, number][] {
  return sent
    .filter((request) => request.command === UploadPartCopyCommand.name)
    .map((request) => {
      const match = /^bytes=(\d+)-(\d+)$/.exec(String(request.input.CopySourceRange));
      assert.ok(match, `a byte range: ${String(request.input.CopySourceRange)}`);
      return [Number(match[1]), Number(match[2])];
    });
}

describe('S3Objects.copy of an object larger than one CopyObject copies', () => {
  it('copies an object up to the threshold in one CopyObject', async () => {
    const { client, sent } = fakeS3(100);
    assert.equal(await new S3Objects(client, location, limits).copy('peer/a b.enc', 'peer/.history/x.enc'), true);
    assert.deepEqual(sent.map((request) => request.command), [HeadObjectCommand.name, CopyObjectCommand.name]);
    assert.equal(sent[1]?.input.CopySource, 'anemone/peer/a%20b.enc');
  });

  for (const size of [101, 120, 121, 30 * 7 + 1]) {
    it(`copies ${size} bytes in parts whose ranges cover the object once, without gap or overlap, then completes them in order`, async () => {
      const { client, sent } = fakeS3(size);
      assert.equal(await new S3Objects(client, location, limits).copy('peer/big.enc', 'peer/.history/big.enc'), true);
      const ranges = rangesOf(sent);
      assert.equal(ranges[0]?.[0], 0, 'from the first byte');
      assert.equal(ranges.at(-1)?.[1], size - 1, 'to the last byte');
      for (let index = 1; index < ranges.length; index += 1) assert.equal(ranges[index]?.[0], (ranges[index - 1]?.[1] as number) + 1, 'each part starts where the one before ended');
      for (const [first, last] of ranges.slice(0, -1)) assert.equal(last - first + 1, limits.copyPartBytes, 'every part but the last is a whole part');
      assert.equal(ranges.length, Math.ceil(size / limits.copyPartBytes));

      const copies = sent.filter((request) => request.command === UploadPartCopyCommand.name);
      assert.deepEqual(copies.map((request) => request.input.PartNumber), ranges.map((_, index) => index + 1));
      for (const request of copies) assert.deepEqual([request.input.UploadId, request.input.Key, request.input.CopySource], ['upload-1', 'peer/.history/big.enc', 'anemone/peer/big.enc']);
      const completed = sent.filter((request) => request.command === CompleteMultipartUploadCommand.name);
      assert.equal(completed.length, 1);
      assert.deepEqual(completed[0]?.input.MultipartUpload, { Parts: ranges.map((_, index) => ({ PartNumber: index + 1, ETag: `"etag-${index + 1}"` })) });
      assert.equal(sent.at(-1)?.command, CompleteMultipartUploadCommand.name, 'completed last, after every part');
      assert.ok(!sent.some((request) => request.command === CopyObjectCommand.name || request.command === AbortMultipartUploadCommand.name));
    });
  }

  it('aborts the multipart upload when a part fails, completes nothing, and reports the storage unavailable', async () => {
    const { client, sent } = fakeS3(200, { failPart: 3 });
    await assert.rejects(new S3Objects(client, location, limits).copy('peer/big.enc', 'peer/.history/big.enc'), (error) => error instanceof AnemoneError && error.code === 'OBJECT_STORE_UNAVAILABLE');
    assert.deepEqual(rangesOf(sent), [[0, 29], [30, 59], [60, 89]], 'stopped at the failed part');
    const aborted = sent.filter((request) => request.command === AbortMultipartUploadCommand.name);
    assert.deepEqual(aborted.map((request) => [request.input.Key, request.input.UploadId]), [['peer/.history/big.enc', 'upload-1']]);
    assert.ok(!sent.some((request) => request.command === CompleteMultipartUploadCommand.name));
  });

  it('reports the failed part, not an abort that failed after it', async () => {
    const { client, sent } = fakeS3(200, { failPart: 2, failAbort: true });
    await assert.rejects(new S3Objects(client, location, limits).copy('peer/big.enc', 'peer/.history/big.enc'), (error) => {
      assert.ok(error instanceof AnemoneError);
      assert.equal(error.code, 'OBJECT_STORE_UNAVAILABLE');
      assert.match(String((error.cause as Error | undefined)?.message), /internal error/);
      return true;
    });
    assert.ok(sent.some((request) => request.command === AbortMultipartUploadCommand.name), 'the abort was tried');
  });

  it('uses the 5 GiB threshold and 512 MiB parts when not told otherwise', async () => {
    const fiveGiB = 5 * 1024 ** 3;
    const single = fakeS3(fiveGiB);
    await new S3Objects(single.client, location).copy('peer/a.enc', 'peer/b.enc');
    assert.ok(single.sent.some((request) => request.command === CopyObjectCommand.name), '5 GiB exactly: one CopyObject');
    const parted = fakeS3(fiveGiB + 1);
    await new S3Objects(parted.client, location).copy('peer/a.enc', 'peer/b.enc');
    const ranges = rangesOf(parted.sent);
    assert.equal(ranges.length, 11);
    assert.deepEqual(ranges[0], [0, 512 * 1024 * 1024 - 1]);
    assert.deepEqual(ranges.at(-1), [fiveGiB, fiveGiB]);
  });
});
