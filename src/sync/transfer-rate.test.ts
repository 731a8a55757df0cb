import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransferRate } from './transfer-rate.js';

describe('TransferRate', () => {
  it('knows no rate before a second was measured', () => {
    const rate = new TransferRate();
    rate.record(0, 0);
    rate.record(50_000, 500);
    assert.equal(rate.bytesPerSecond(500), null);
    assert.equal(rate.secondsLeft(1_000_000, 500), null);
  });

  it('measures the last few seconds, so an early burst fades out', () => {
    const rate = new TransferRate();
    rate.record(0, 0);
    rate.record(4_000_000, 250); // the kernel's buffers take a burst at once
    for (let at = 500; at <= 10_000; at += 250) rate.record(4_000_000 + (at - 250) * 100, at); // then 100 kB/s
    assert.equal(rate.bytesPerSecond(10_000), 100_000);
    assert.equal(rate.secondsLeft(4_000_000 + 9_750 * 100 + 500_000, 10_000), 5);
  });

  it('falls to 0 when nothing moves for the whole window, and then tells no time left', () => {
    const rate = new TransferRate();
    for (let at = 0; at <= 2_000; at += 250) rate.record(at * 100, at);
    assert.equal(rate.bytesPerSecond(2_000), 100_000);
    assert.equal(rate.bytesPerSecond(20_000), 0);
    assert.equal(rate.secondsLeft(1_000_000, 20_000), null);
  });
});
