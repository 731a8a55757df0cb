import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UploadProgress } from './upload-progress.js';

describe('UploadProgress', () => {
  it('counts the plaintext share of each upload in flight, then the files the peer acknowledged', () => {
    const reported: number[] = [];
    const progress = new UploadProgress((bytesDone) => reported.push(bytesDone));
    const large = progress.track(1000); // a body of 1000 plaintext bytes as 1100 bytes on the wire
    const batch = progress.track(200);
    large.onSent(550, 1100);
    batch.onSent(100, 100);
    large.onSent(1100, 1100);
    assert.deepEqual(reported, [500, 700, 1200]);
    large.end();
    progress.acknowledge(1000);
    assert.equal(progress.bytesDone, 1200);
  });

  it('never goes back, even when an upload fails halfway or a replay starts its body again', () => {
    const reported: number[] = [];
    const progress = new UploadProgress((bytesDone) => reported.push(bytesDone));
    const upload = progress.track(100);
    upload.onSent(50, 100);
    upload.onSent(10, 100); // the body sent again after an expired session
    upload.end();
    upload.onSent(100, 100); // too late: ended
    assert.equal(progress.bytesDone, 50);
    assert.deepEqual(reported, [50]);
  });
});
