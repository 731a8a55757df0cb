import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../logging/logger.js';
import type { PeerView } from './peer-service.js';
import { PeerMonitor } from './peer-monitor.js';

const { logger } = createLogger({ level: 'error', console: 'none' });
const peer = (id: number, fields: Partial<PeerView> = {}) => ({ id, name: `peer-${id}`, enabled: true, fingerprint: 'AA:BB', ...fields }) as PeerView;

/** A fake peer service whose checks end when the test says so. */
function fakePeers(peers: PeerView[]) {
  const calls: number[] = [];
  const pending: ((ok: boolean) => void)[] = [];
  return {
    calls,
    answerAll(ok: boolean) {
      for (const answer of pending.splice(0)) answer(ok);
    },
    service: {
      list: () => peers,
      checkHealth: (id: number) => {
        calls.push(id);
        return new Promise<{ ok: boolean }>((resolve) => pending.push((ok) => resolve({ ok })));
      },
    },
  };
}

/** Ticks the monitor each second of [from, to], every check answered `ok`; returns when checks started. */
async function tickEverySecond(monitor: PeerMonitor, fake: ReturnType<typeof fakePeers>, span: { from: number; to: number; ok: boolean }): Promise<number[]> {
  const checkedAt: number[] = [];
  for (let now = span.from; now <= span.to; now += 1000) {
    const before = fake.calls.length;
    const due = monitor.checkDue(now);
    fake.answerAll(span.ok);
    await due;
    if (fake.calls.length > before) checkedAt.push(now);
  }
  return checkedAt;
}

describe('PeerMonitor', () => {
  it('checks enabled, confirmed peers only, and never two checks of one peer at once', async () => {
    const fake = fakePeers([peer(1), peer(2, { enabled: false }), peer(3, { fingerprint: null })]);
    const monitor = new PeerMonitor(fake.service, logger, { intervalMs: 1000 });
    const first = monitor.checkDue(0);
    // a tick while the check hangs (a peer that does not answer) does not start another
    void monitor.checkDue(5000);
    assert.deepEqual(fake.calls, [1]);
    fake.answerAll(true);
    await first;
    const next = monitor.checkDue(5000);
    assert.deepEqual(fake.calls, [1, 1]);
    fake.answerAll(true);
    await next;
  });

  it('checks an answering peer every interval', async () => {
    const fake = fakePeers([peer(1)]);
    const monitor = new PeerMonitor(fake.service, logger, { intervalMs: 1000 });
    assert.deepEqual(await tickEverySecond(monitor, fake, { from: 0, to: 3000, ok: true }), [0, 1000, 2000, 3000]);
  });

  it('asks an offline peer less often after three failures, up to the longest wait, and every interval again once it answers', async () => {
    const fake = fakePeers([peer(1)]);
    const monitor = new PeerMonitor(fake.service, logger, { intervalMs: 1000, maxBackoffMs: 4000 });
    // 3 failures at the interval, then waits of 2 s, then 4 s (the longest)
    assert.deepEqual(await tickEverySecond(monitor, fake, { from: 0, to: 20_000, ok: false }), [0, 1000, 2000, 3000, 5000, 9000, 13000, 17000]);
    // it answers at 21000: from then on it is asked every interval again
    assert.deepEqual(await tickEverySecond(monitor, fake, { from: 21_000, to: 24_000, ok: true }), [21000, 22000, 23000, 24000]);
  });
});
