import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { meteredBody } from './metered-body.js';

const MIB = 1024 * 1024;

/** Reads the body, waiting `pauseMs` after each piece as a slow link would; returns the pieces' sizes and the progress calls. */
async function consume(chunks: Buffer[], pauseMs: number): Promise<{ pieces: number[]; progress: [number, number][]; bytes: Buffer }> {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const progress: [number, number][] = [];
  const pieces: Buffer[] = [];
  for await (const piece of meteredBody(chunks, total, (sent, all) => progress.push([sent, all]))) {
    pieces.push(piece as Buffer);
    if (pauseMs > 0) await sleep(pauseMs);
  }
  return { pieces: pieces.map((piece) => piece.length), progress, bytes: Buffer.concat(pieces) };
}

describe('metered body', () => {
  it('hands a fast link ever larger pieces, up to whole chunks, and reports every byte once', async () => {
    const chunks = Array.from({ length: 6 }, (_, index) => Buffer.alloc(MIB, index));
    const { pieces, progress, bytes } = await consume(chunks, 0);
    assert.deepEqual(bytes, Buffer.concat(chunks));
    assert.equal(pieces[0], 64 * 1024);
    // the last chunks go whole: one write each instead of sixteen
    assert.deepEqual(pieces.slice(-2), [MIB, MIB]);
    assert.ok(pieces.length < 6 * 16, `${pieces.length} pieces`);
    assert.deepEqual(progress.at(-1), [6 * MIB, 6 * MIB]);
    assert.ok(progress.every(([sent], index) => index === 0 || sent > (progress[index - 1] as [number, number])[0]));
  });

  it('keeps pieces small on a slow link, so progress moves often', async () => {
    const chunk = Buffer.alloc(512 * 1024, 1);
    const { pieces, progress } = await consume([chunk], 30);
    assert.deepEqual(pieces, Array.from({ length: 8 }, () => 64 * 1024));
    assert.equal(progress.length, 8);
  });
});
