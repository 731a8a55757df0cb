import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { type Database, openDatabase, SettingsRepo } from '../db/index.js';
import type { SyncRunOutcome } from '../sync/types.js';
import type { SyncEvent } from './events.js';
import { PairStateStore } from './pair-state.js';
import { NotificationSettingsStore } from './settings.js';
import { SyncAlerts } from './sync-alerts.js';

const SHARE_ID = 7;
const PEER_ID = 3;

function outcome(fields: Partial<SyncRunOutcome>): SyncRunOutcome {
  return {
    logId: 1,
    shareId: SHARE_ID,
    peerId: PEER_ID,
    username: 'alice',
    shareName: 'backup',
    peerName: 'server-b',
    status: 'failure',
    finishedAt: '2026-03-01T02:00:00.000Z',
    attempt: 1,
    code: 'PEER_CONNECTION_REFUSED',
    error: 'Connection refused',
    hint: 'Check the peer',
    retryPending: false,
    ...fields,
  };
}

/** The judging of finished runs, against the real settings table; the events it sends are recorded. */
describe('SyncAlerts', () => {
  let dir: string;
  let db: Database;
  let settings: NotificationSettingsStore;
  let sent: SyncEvent[];
  let alerts: SyncAlerts;
  let lastSuccess: string | undefined;
  let now: Date;
  const dirs: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-alerts-'));
    dirs.push(dir);
    db = openDatabase(path.join(dir, 'anemone.db'));
    const repo = new SettingsRepo(db);
    settings = new NotificationSettingsStore(repo);
    settings.update({ webhookUrl: 'http://127.0.0.1:9/hook' });
    sent = [];
    lastSuccess = undefined;
    now = new Date('2026-03-01T00:00:00.000Z');
    alerts = new SyncAlerts({
      settings,
      state: new PairStateStore(repo),
      notify: (event) => sent.push(event),
      watchedPairs: () => [{ shareId: SHARE_ID, peerId: PEER_ID, user: 'alice', share: 'backup', peer: 'server-b' }],
      lastSuccess: () => lastSuccess,
      logger: pino({ level: 'silent' }),
      options: { now: () => now },
    });
  });
  afterEach(() => db.close());
  after(async () => {
    for (const each of dirs) await rm(each, { recursive: true, force: true });
  });

  it('waits for the last retry: a failure with a retry pending is not news', () => {
    alerts.runFinished(outcome({ retryPending: true }));
    alerts.runFinished(outcome({ attempt: 2, retryPending: true }));
    assert.equal(sent.length, 0, JSON.stringify(sent));
    alerts.runFinished(outcome({ attempt: 4 }));
    assert.deepEqual(
      sent.map((event) => [event.event, event.code, event.attempts]),
      [['failure', 'PEER_CONNECTION_REFUSED', 4]],
    );
  });

  it('tells a failure once per cause: the same code again is silent, another code is told', () => {
    alerts.runFinished(outcome({}));
    alerts.runFinished(outcome({}));
    alerts.runFinished(outcome({ code: 'PEER_UNAUTHORIZED' }));
    assert.deepEqual(
      sent.map((event) => event.code),
      ['PEER_CONNECTION_REFUSED', 'PEER_UNAUTHORIZED'],
    );
  });

  it('tells a held run as held, even with a retry pending, and its success as recovered from held', () => {
    alerts.runFinished(outcome({ code: 'MASS_DELETION_GUARD', retryPending: true }));
    alerts.runFinished(outcome({ status: 'success', code: undefined }));
    assert.deepEqual(
      sent.map((event) => [event.event, event.recoveredFrom]),
      [
        ['held', undefined],
        ['recovered', 'held'],
      ],
    );
  });

  it('ignores interrupted runs, and a success after nothing was told', () => {
    alerts.runFinished(outcome({ status: 'interrupted', code: 'SYNC_INTERRUPTED' }));
    alerts.runFinished(outcome({ status: 'success' }));
    assert.equal(sent.length, 0, JSON.stringify(sent));
  });

  it('an event the administrator did not choose is not told, nor its recovery', () => {
    settings.update({ events: ['held', 'stale', 'recovered'] });
    alerts.runFinished(outcome({}));
    alerts.runFinished(outcome({ status: 'success' }));
    assert.equal(sent.length, 0, JSON.stringify(sent));
  });

  it('starts the stale clock of a pair that never synced when it first sees it, and tells it once', () => {
    settings.update({ staleAfterHours: 2 });
    alerts.checkStale();
    now = new Date(now.getTime() + 119 * 60_000);
    alerts.checkStale();
    assert.equal(sent.length, 0, JSON.stringify(sent));
    now = new Date(now.getTime() + 60_000);
    alerts.checkStale();
    alerts.checkStale();
    assert.deepEqual(
      sent.map((event) => [event.event, event.lastSuccessAt, event.staleAfterHours]),
      [['stale', null, 2]],
    );
  });

  it('measures staleness from the last successful sync', () => {
    settings.update({ staleAfterHours: 1 });
    lastSuccess = new Date(now.getTime() - 61 * 60_000).toISOString();
    alerts.checkStale();
    assert.equal(sent[0]?.lastSuccessAt, lastSuccess);
  });
});
