import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnemoneError } from '../errors/catalogue.js';
import { asIncomingStorageUnavailable } from './storage-failure.js';

const errno = (code: string) => Object.assign(new Error(`${code}: failed, write`), { code });

describe('asIncomingStorageUnavailable', () => {
  it("answers the bucket's and the disk's failures with one code, the storage's error kept as the cause", () => {
    const failures = [
      new AnemoneError('OBJECT_STORE_UNAVAILABLE'),
      new AnemoneError('OBJECT_STORE_CREDENTIALS_REJECTED'),
      new AnemoneError('OBJECT_STORE_ACCESS_DENIED'),
      new AnemoneError('OBJECT_STORE_BUCKET_MISSING'),
      new AnemoneError('OBJECT_STORE_CLOCK_SKEW'),
      errno('EIO'),
      errno('EROFS'),
    ];
    for (const failure of failures) {
      const answered = asIncomingStorageUnavailable(failure);
      assert.equal(answered?.code, 'INCOMING_STORAGE_UNAVAILABLE', String(failure));
      assert.equal(answered.status, 503);
      assert.equal(answered.cause, failure);
    }
  });

  it('leaves every other error as it is: a full disk, a refusal, a bug', () => {
    for (const other of [new AnemoneError('INSUFFICIENT_STORAGE'), new AnemoneError('NOT_FOUND'), new AnemoneError('HASH_MISMATCH'), errno('ENOSPC'), errno('ENOENT'), new TypeError('x is undefined')]) {
      assert.equal(asIncomingStorageUnavailable(other), undefined, String(other));
    }
  });
});
