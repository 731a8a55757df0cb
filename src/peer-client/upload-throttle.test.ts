import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { AnemoneError } from '../errors/catalogue.js';
import { type ThrottleClock, type UploadLimit, UploadThrottle } from './upload-throttle.js';

/** A clock that moves only when someone sleeps, so rates are exact and tests take no time. */
function fakeClock(): ThrottleClock & { elapsedMs: () => number } {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    elapsedMs: () => now,
  };
}

/** Reads the whole stream; resolves with the number of bytes. */
async function drain(stream: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

/** The pieces as the stream emits them (reading with read() would join what is buffered). */
async function pieces(stream: Readable): Promise<Buffer[]> {
  const seen: Buffer[] = [];
  stream.on('data', (piece: Buffer) => seen.push(piece));
  await new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject));
  return seen;
}

describe('upload throttle', () => {
  it('lets a body through at the limit, including across several uploads sharing the bucket', async () => {
    const clock = fakeClock();
    const throttle = new UploadThrottle(() => ({ kind: 'limit', bytesPerSecond: 100 * 1024 }), 'peer-b', clock);
    const first = drain(throttle.throttled(Buffer.alloc(1024 * 1024)));
    const second = drain(throttle.throttled(Readable.from([Buffer.alloc(512 * 1024), Buffer.alloc(512 * 1024)])));
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a + b, 2 * 1024 * 1024);
    // 2 MiB at 100 KiB/s is 20.48 s; the bucket's burst may save at most a quarter of a second
    const seconds = clock.elapsedMs() / 1000;
    assert.ok(seconds >= 20.48 - 0.3 && seconds <= 20.48 * 1.05, `took ${seconds} s`);
  });

  it('never lets more than the limit (plus one burst) through in any window', async () => {
    const clock = fakeClock();
    const throttle = new UploadThrottle(() => ({ kind: 'limit', bytesPerSecond: 64 * 1024 }), 'peer-b', clock);
    const granted: { at: number; bytes: number }[] = [];
    for (let piece = 0; piece < 200; piece += 1) {
      await throttle.take(4096);
      granted.push({ at: clock.elapsedMs(), bytes: 4096 });
    }
    for (let start = 0; start < clock.elapsedMs() - 10_000; start += 500) {
      const inWindow = granted.filter((grant) => grant.at >= start && grant.at < start + 10_000).reduce((sum, grant) => sum + grant.bytes, 0);
      assert.ok(inWindow <= 64 * 1024 * 10 * 1.2, `${inWindow} bytes in the 10 s from ${start} ms`);
      assert.ok(inWindow >= 64 * 1024 * 10 * 0.8, `${inWindow} bytes in the 10 s from ${start} ms`);
    }
  });

  it('costs nothing when unlimited, and follows a limit that changes mid-upload', async () => {
    const clock = fakeClock();
    let limit: UploadLimit = { kind: 'unlimited' };
    const throttle = new UploadThrottle(() => limit, 'peer-b', clock);
    await throttle.take(10 * 1024 * 1024);
    assert.equal(clock.elapsedMs(), 0);
    limit = { kind: 'limit', bytesPerSecond: 10 * 1024 };
    await throttle.take(16 * 1024);
    await throttle.take(16 * 1024);
    assert.ok(clock.elapsedMs() >= 1000, `took ${clock.elapsedMs()} ms`);
  });

  it('passes chunks whole when unlimited, and cuts them into small pieces under a limit', async () => {
    let limit: UploadLimit = { kind: 'unlimited' };
    const throttle = new UploadThrottle(() => limit, 'peer-b', fakeClock());
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const whole = await pieces(throttle.throttled(Readable.from([chunk, chunk], { objectMode: false })));
    assert.deepEqual(whole.map((piece) => piece.length), [1024 * 1024, 1024 * 1024]);
    limit = { kind: 'limit', bytesPerSecond: 10 * 1024 * 1024 };
    const paced = await pieces(throttle.throttled(chunk));
    assert.equal(paced.length, 64);
    assert.ok(paced.every((piece) => piece.length === 16 * 1024));
    assert.deepEqual(Buffer.concat(paced), chunk);
  });

  it('refuses to send while paused, naming the peer and when the pause ends', async () => {
    const clock = fakeClock();
    const until = new Date(2026, 11, 7, 22, 30);
    const throttle = new UploadThrottle(() => ({ kind: 'paused', until }), 'grandma', clock);
    await assert.rejects(
      drain(throttle.throttled(Buffer.alloc(1024))),
      (error: unknown) => error instanceof AnemoneError && error.code === 'UPLOAD_PAUSED' && /grandma.*22:30/.test(error.message),
    );
  });
});
