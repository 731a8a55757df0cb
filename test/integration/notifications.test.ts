import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startSmtpReceiver, startWebhookReceiver, waitForCount } from '../helpers/notification-receivers.js';
import { type ClusterServer, createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const B_PASSWORD = 'password of b';
const SMTP_USER = 'anemone@home.test';
const SMTP_PASSWORD = 'smtp secret 7f3a9c';
/** The part of the webhook URL that is a secret, as an ntfy topic or a healthchecks.io UUID is. */
const WEBHOOK_TOKEN = 'topic-token-5b1e0d';
const FILES = { 'notes.txt': 'hello', 'photos/cat.jpg': 'meow', 'photos/dog.jpg': 'woof' };

/**
 * Notifications between two real servers: server-a syncs alice's backup to
 * server-b; a webhook receiver (plain HTTP on loopback) and an SMTP server
 * (smtp-server, AUTH required) started here receive what server-a sends. The
 * stale check's clock and timer are the test's, so "24 hours without a
 * success" takes no time.
 */
describe('notifications by webhook and email', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; backupShareId: number };
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let clock = Date.now();
  const staleTimers = new ManualTimers();
  let aliceShare: string;

  const emailSettings = () => ({ host: '127.0.0.1', port: smtp.port, secure: false, username: SMTP_USER, from: 'anemone@server-a.test', to: 'admin@home.test' });

  before(async () => {
    [hook, smtp] = await Promise.all([startWebhookReceiver(), startSmtpReceiver({ username: SMTP_USER, password: SMTP_PASSWORD })]);
    b = await startNamedServer('server-b', { acceptPassword: B_PASSWORD });
    a = await startNamedServer('server-a', {
      logLevel: 'info',
      serverOptions: {
        notifications: {
          notifier: { retryDelaysMs: [200, 200], groupWindowMs: 100, timeoutMs: 5000 },
          alerts: { now: () => new Date(clock), timers: staleTimers },
        },
      },
    });
    await pairPeer(a, b, B_PASSWORD);
    alice = await createUser(a, 'alice');
    aliceShare = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await writeFiles(aliceShare, FILES);
  });
  after(async () => {
    await a?.test.stop();
    await b?.test.stop();
    await hook?.close();
    await smtp?.close();
  });

  async function setBPassword(password: string): Promise<void> {
    const response = await b.admin.request('PUT', '/api/admin/settings/sync', { password });
    assert.equal(response.status, 200);
  }

  /** Waits for message number `count` on both channels and returns the last of each. */
  async function nextMessages(count: number): Promise<{ webhook: any; email: (typeof smtp.received)[number] }> {
    const [webhooks, emails] = await Promise.all([waitForCount(hook.received, count), waitForCount(smtp.received, count)]);
    return { webhook: webhooks[count - 1]!.body, email: emails[count - 1]! };
  }

  /** Nothing more arrives: longer than the grouping window and a delivery on loopback. */
  async function assertNoMoreThan(count: number): Promise<void> {
    await delay(600);
    assert.equal(hook.received.length, count, JSON.stringify(hook.received.slice(count)));
    assert.equal(smtp.received.length, count, JSON.stringify(smtp.received.slice(count).map((mail) => mail.subject)));
  }

  it('keeps the settings, with the SMTP password write-only, and refuses invalid ones', async () => {
    const saved = await a.admin.request('PUT', '/api/admin/settings/notifications', {
      webhookUrl: `${hook.origin}/anemone/${WEBHOOK_TOKEN}`,
      email: { ...emailSettings(), password: SMTP_PASSWORD },
      events: ['failure', 'held', 'stale', 'recovered'],
      staleAfterHours: 24,
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const shown = await a.admin.get('/api/admin/settings/notifications');
    assert.deepEqual(shown.body, {
      webhookUrl: `${hook.origin}/anemone/${WEBHOOK_TOKEN}`,
      email: { ...emailSettings(), passwordSet: true },
      events: ['failure', 'held', 'stale', 'recovered'],
      staleAfterHours: 24,
    });
    assert.ok(!JSON.stringify(shown.body).includes(SMTP_PASSWORD));

    // the form sends the email fields back without the password: it is kept
    const again = await a.admin.request<any>('PUT', '/api/admin/settings/notifications', { email: emailSettings() });
    assert.equal(again.body.email.passwordSet, true);

    for (const body of [{ webhookUrl: 'ftp://example.test/x' }, { staleAfterHours: 0 }, { staleAfterHours: 8761 }, { events: ['sometimes'] }, { email: { ...emailSettings(), to: 'nobody' } }]) {
      const refused = await a.admin.request<any>('PUT', '/api/admin/settings/notifications', body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal(refused.body.error.code, 'VALIDATION_FAILED');
    }
    const user = await alice.client.get('/api/admin/settings/notifications');
    assert.equal(user.status, 403, 'administrators only');
  });

  it('a successful sync sends nothing', async () => {
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    await assertNoMoreThan(0);
  });

  it('a failed sync: one message on each channel, and none again while it fails for the same cause', async () => {
    await setBPassword('another password of b');
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.errorCode, 'PEER_UNAUTHORIZED', JSON.stringify(log));

    const { webhook, email } = await nextMessages(1);
    assert.equal(hook.received[0]!.path, `/anemone/${WEBHOOK_TOKEN}`);
    assert.equal(webhook.event, 'failure');
    assert.equal(webhook.title, 'Backup of alice/backup to server-b failed');
    // the run's error, then its hint: what happened and what to do
    assert.equal(
      webhook.message,
      '401 Unauthorized — the peer password is wrong; update it in the peer settings. Enter the server password set on the peer (its Settings → Sync). A peer that has a password also refuses a missing one.',
    );
    assert.deepEqual(
      { server: webhook.server, user: webhook.user, share: webhook.share, peer: webhook.peer, priority: webhook.priority, code: webhook.details.code },
      { server: 'server-a', user: 'alice', share: 'backup', peer: 'server-b', priority: 5, code: 'PEER_UNAUTHORIZED' },
    );
    assert.ok(!Number.isNaN(Date.parse(webhook.at)));
    assert.equal(email.subject, 'Anemone: backup of alice/backup to server-b failed');
    assert.deepEqual(email.to, ['admin@home.test']);
    assert.equal(email.from, 'anemone@server-a.test');
    assert.match(email.text, /401 Unauthorized/);
    assert.match(email.text, /Share: alice\/backup/);

    const [again] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(again?.errorCode, 'PEER_UNAUTHORIZED');
    await assertNoMoreThan(1);
  });

  it('the next successful sync sends one "recovered" message', async () => {
    await setBPassword(B_PASSWORD);
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    const { webhook, email } = await nextMessages(2);
    assert.equal(webhook.event, 'recovered');
    assert.equal(webhook.title, 'Backup of alice/backup to server-b works again');
    assert.equal(webhook.details.recoveredFrom, 'failure');
    assert.equal(email.subject, 'Anemone: backup of alice/backup to server-b works again');
    await assertNoMoreThan(2);
  });

  it('a sync held by the mass-deletion guard: one "held" message; its recovery another', async () => {
    for (const file of Object.keys(FILES)) await rm(path.join(aliceShare, file));
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.errorCode, 'MASS_DELETION_GUARD', JSON.stringify(log));
    const { webhook, email } = await nextMessages(3);
    assert.equal(webhook.event, 'held');
    assert.equal(webhook.title, 'Backup of alice/backup to server-b is held until you confirm it');
    assert.match(webhook.message, /The share is empty while the peer holds 3 files for it; nothing was deleted/);
    assert.match(webhook.message, /an administrator can confirm the deletions/, 'says what to do');
    assert.equal(email.subject, 'Anemone: backup of alice/backup to server-b is held until you confirm it');

    await writeFiles(aliceShare, FILES);
    const [back] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(back?.status, 'success', JSON.stringify(back));
    const recovered = await nextMessages(4);
    assert.equal(recovered.webhook.event, 'recovered');
    assert.equal(recovered.webhook.details.recoveredFrom, 'held');
    await assertNoMoreThan(4);
  });

  it('a share with no successful sync for staleAfterHours: one "stale" message, not one per check', async () => {
    // the first check starts the clock of the admin's share, which never synced
    staleTimers.fireAll();
    await assertNoMoreThan(4);
    const lastSuccess = (await a.admin.get('/api/admin/sync/logs?limit=1&status=success')).body.logs[0].finishedAt as string;

    clock += 25 * 3_600_000;
    staleTimers.fireAll();
    // one message for both shares stale to server-b: the admin's, watched for 25 hours and never synced, and alice's
    const { webhook, email } = await nextMessages(5);
    assert.equal(webhook.event, 'stale');
    assert.equal(webhook.title, 'No successful backup of 2 shares (admin/backup, alice/backup) to server-b for 24 hours');
    assert.deepEqual(webhook.details.shares, [
      { user: 'admin', share: 'backup', lastSuccessAt: null },
      { user: 'alice', share: 'backup', lastSuccessAt: lastSuccess },
    ]);
    assert.equal(webhook.user, null, 'several shares: listed in details.shares');
    assert.equal(webhook.peer, 'server-b');
    assert.equal(webhook.details.staleAfterHours, 24);
    assert.match(webhook.message, new RegExp(`admin/backup: no sync has succeeded yet; alice/backup: the last successful sync was at ${lastSuccess.replace(/\./g, '\\.')}`));
    assert.equal(email.subject, 'Anemone: no successful backup of 2 shares (admin/backup, alice/backup) to server-b for 24 hours');

    clock += 3_600_000;
    staleTimers.fireAll();
    await assertNoMoreThan(5);

    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.status, 'success');
    const recovered = await nextMessages(6);
    assert.equal(recovered.webhook.event, 'recovered');
    assert.equal(recovered.webhook.user, 'alice');
    assert.equal(recovered.webhook.details.recoveredFrom, 'stale');
    await assertNoMoreThan(6);
  });

  it('a webhook answering 500 is tried again, and the sync finishes without waiting for it', async () => {
    // answers 500 twice, then takes the message; its first answer is held until the run is seen ended, so a run
    // that waited for the webhook would never end (a race against fixed answer delays lost once the poll was slow)
    let runSeenEnded: () => void = () => undefined;
    const seenEnded = new Promise<void>((resolve) => (runSeenEnded = resolve));
    const failing = await startWebhookReceiver({ answer: (n) => (n <= 2 ? 500 : 200), heldUntil: (n) => (n === 1 ? seenEnded : Promise.resolve()) });
    try {
      await a.admin.request('PUT', '/api/admin/settings/notifications', { webhookUrl: `${failing.origin}/hook/${WEBHOOK_TOKEN}` });
      await setBPassword('another password of b');
      const emailsBefore = smtp.received.length;
      const started = Date.now();
      const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
      assert.equal(log?.errorCode, 'PEER_UNAUTHORIZED');
      assert.equal(failing.received.length, 0, `the run ended with the webhook's first answer still held (${failing.received.length} deliveries after ${Date.now() - started} ms)`);
      runSeenEnded();

      const deliveries = await waitForCount(failing.received, 3);
      assert.deepEqual(
        deliveries.map((delivery) => [delivery.status, delivery.body.event]),
        [
          [500, 'failure'],
          [500, 'failure'],
          [200, 'failure'],
        ],
      );
      await waitForCount(smtp.received, emailsBefore + 1);
      assert.equal(smtp.received.length, emailsBefore + 1, 'email is sent once, beside the webhook\'s retries');
      await assertLogSays(/notification not delivered; trying again/);
    } finally {
      runSeenEnded();
      await setBPassword(B_PASSWORD);
      await a.admin.request('PUT', '/api/admin/settings/notifications', { webhookUrl: `${hook.origin}/anemone/${WEBHOOK_TOKEN}` });
      await failing.close();
    }
  });

  it('"Send a test" sends one message on each channel and reports how each went', async () => {
    const webhooksBefore = hook.received.length;
    const emailsBefore = smtp.received.length;
    const sent = await a.admin.post('/api/admin/settings/notifications/test');
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.deepEqual(sent.body, { webhook: { ok: true }, email: { ok: true } });
    assert.equal(hook.received.length, webhooksBefore + 1);
    assert.equal(hook.received.at(-1)!.body.event, 'test');
    assert.equal(hook.received.at(-1)!.body.title, 'Test message from Anemone on server-a');
    assert.equal(smtp.received.length, emailsBefore + 1);
    assert.equal(smtp.received.at(-1)!.subject, 'Anemone: test message from Anemone on server-a');
  });

  it('"Send a test" says why a channel failed: connection refused, SMTP authentication refused', async () => {
    const closed = await startWebhookReceiver();
    await closed.close();
    await a.admin.request('PUT', '/api/admin/settings/notifications', {
      webhookUrl: `${closed.origin}/hook/${WEBHOOK_TOKEN}`,
      email: { ...emailSettings(), password: 'a wrong smtp password' },
    });
    const sent = await a.admin.post<any>('/api/admin/settings/notifications/test');
    assert.equal(sent.status, 200);
    assert.equal(sent.body.webhook.ok, false);
    assert.equal(sent.body.webhook.error, `Connection refused by ${closed.origin} — check the address and port, and that the service is running`);
    assert.equal(sent.body.email.ok, false);
    assert.match(sent.body.email.error, new RegExp(`^The SMTP server 127\\.0\\.0\\.1:${smtp.port} refused the username or password .* check them in the email settings$`));
    assert.ok(!JSON.stringify(sent.body).includes(WEBHOOK_TOKEN), 'the webhook URL is named by its origin only');
    assert.ok(!JSON.stringify(sent.body).includes('a wrong smtp password'));

    const off = await a.admin.request<any>('PUT', '/api/admin/settings/notifications', { webhookUrl: null, email: null });
    assert.deepEqual({ webhookUrl: off.body.webhookUrl, email: off.body.email }, { webhookUrl: null, email: null });
    const nothing = await a.admin.post<any>('/api/admin/settings/notifications/test');
    assert.equal(nothing.status, 409);
    assert.equal(nothing.body.error.code, 'NOTIFICATIONS_NOT_CONFIGURED');
  });

  it('never writes the SMTP password or the webhook URL\'s token to the log', async () => {
    const log = await assertLogSays(/"target":"http:\/\/127\.0\.0\.1:\d+"/);
    assert.match(log, /notification sent/);
    for (const secret of [SMTP_PASSWORD, 'a wrong smtp password', WEBHOOK_TOKEN]) assert.ok(!log.includes(secret), `the log holds ${secret}`);
  });

  /** The server's log file once it says `pattern` (so a test of what it lacks reads a real log); written asynchronously, it may lag up to 10 s here. */
  async function assertLogSays(pattern: RegExp): Promise<string> {
    const deadline = Date.now() + 10_000;
    let text = await readFile(path.join(a.test.dataDir, 'logs', 'anemone.log'), 'utf8');
    while (!pattern.test(text) && Date.now() < deadline) {
      await delay(50);
      text = await readFile(path.join(a.test.dataDir, 'logs', 'anemone.log'), 'utf8');
    }
    assert.match(text, pattern);
    return text;
  }
});
