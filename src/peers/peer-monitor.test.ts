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
    for (const now of [0, 500, 1000, 1500, 2000]) {
      const due = monitor.checkDue(now);
      fake.answerAll(true);
      await due;
    }
    assert.equal(fake.calls.length, 3, 'at 0, 1000 and 2000');
  });

  it('asks an offline peer less often after three failures, up to the longest wait, and every interval again once it answers', async () => {
    const fake = fakePeers([peer(1)]);
    const monitor = new PeerMonitor(fake.service, logger, { intervalMs: 1000, maxBackoffMs: 4000 });
    const checkedAt: number[] = [];
    for (let now = 0; now <= 20_000; now += 1000) {
      const before = fake.calls.length;
      const due = monitor.checkDue(now);
      fake.answerAll(false);
      await due;
      if (fake.calls.length > before) checkedAt.push(now);
    }
    // 3 failures at the interval, then waits of 2 s, then 4 s (the longest)
    assert.deepEqual(checkedAt, [0, 1000, 2000, 3000, 5000, 9000, 13000, 17000]);

    // it answers at 21000: from then on it is asked every interval again
    const answeredAt: number[] = [];
    for (let now = 21_000; now <= 24_000; now += 1000) {
      const before = fake.calls.length;
      const due = monitor.checkDue(now);
      fake.answerAll(true);
      await due;
      if (fake.calls.length > before) answeredAt.push(now);
    }
    assert.deepEqual(answeredAt, [21000, 22000, 23000, 24000]);
  });
});
