import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LinkProxy } from '../helpers/link-proxy.js';
import { type ClusterServer, createUser, pairPeer, startNamedServer, waitForLogs, writeFiles } from '../helpers/sync-cluster.js';
import { launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

/** The peer health check's interval here: the overview follows the peer within its own poll (10 s) and this. */
const CHECK_INTERVAL_MS = 500;
/** Well under what the kernel's buffers take at once (several MiB): a 16 MiB file is still sending when Cancel is pressed. */
const SLOW_RATE = 256 * 1024;

describe('honest status, progress and cancel, in the browser', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let proxy: LinkProxy;
  let browser: Browser;
  let adminA: Page;
  let alicePage: Page;
  let alice: Awaited<ReturnType<typeof createUser>>;
  let aliceShare: string;
  const consoleProblems: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    [a, b, browser] = await Promise.all([
      startNamedServer('server-a', { serverOptions: { peerChecks: { intervalMs: CHECK_INTERVAL_MS } } }),
      startNamedServer('server-b', { acceptPassword: 'password of b' }),
      launchChromium(),
    ]);
    proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: b.port } });
    await pairPeer(a, { ...b, port: proxy.port }, 'password of b');
    alice = await createUser(a, 'alice');
    aliceShare = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await writeFiles(aliceShare, { 'photos/cat.jpg': randomBytes(200_000), 'notes.txt': 'shopping list\n' });
    adminA = await (await openContext(browser, a.test.url)).newPage();
    alicePage = await (await openContext(browser, a.test.url)).newPage();
    watchConsole(adminA, consoleProblems);
    watchConsole(alicePage, consoleProblems);
    await signIn(adminA, 'admin', 'server-a admin password');
    await signIn(alicePage, 'alice', 'alice password');
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('says what needs attention before anything was backed up, then Force Sync backs up every share', async () => {
    await openFromMenu(adminA, 'Overview');
    const verdict = adminA.getByTestId('backup-verdict');
    await verdict.getByText('0 of 2 shares backed up').waitFor();
    await verdict.getByText('alice/backup has not been backed up yet').waitFor();
    await verdict.getByText('Next scheduled sync:').waitFor();

    await openFromMenu(adminA, 'Synchronization');
    await adminA.getByRole('region', { name: 'Force Sync' }).getByRole('button', { name: 'Force Sync now' }).click();
    await adminA.getByText('2 syncs started').waitFor();
    const started = (await a.admin.get('/api/admin/sync/logs?limit=2')).body.logs as { id: number }[];
    const ended = await waitForLogs(a.admin, started.map((log) => log.id));
    assert.deepEqual(
      ended.map((log) => log.status),
      ['success', 'success'],
    );

    await openFromMenu(adminA, 'Overview');
    await verdict.getByText(/All 2 shares backed up, the oldest (just now|\d+ seconds? ago)/).waitFor();
    assert.equal(await verdict.getAttribute('data-state'), 'ok');
    await adminA.getByRole('region', { name: 'Storage by user' }).getByRole('cell', { name: 'alice' }).waitFor();
    await adminA.getByRole('region', { name: 'Peers' }).getByTestId('peer-last-seen').getByText(/just now|seconds? ago/).waitFor();
    await screenshotBoth(adminA, '40-overview-verdict-ok');

    await openFromMenu(alicePage, 'My backup');
    await alicePage.getByTestId('backup-verdict').getByText(/The backup is up to date: last synced/).waitFor();
  });

  it('shows the peer offline, and online again, without a reload; Restore says the backup is still there', async () => {
    proxy.refuse(3_600);
    proxy.cut();
    try {
      const peers = adminA.getByRole('region', { name: 'Peers' });
      await peers.getByText('Offline', { exact: true }).waitFor({ timeout: 30_000 });
      const verdict = adminA.getByTestId('backup-verdict');
      await verdict.getByText('server-b is offline', { exact: false }).waitFor();
      await verdict.getByText('Backups already on it are safe', { exact: false }).waitFor();
      assert.equal(await verdict.getAttribute('data-state'), 'attention');
      await screenshotBoth(adminA, '41-overview-peer-offline');

      await openFromMenu(alicePage, 'Restore');
      const unreachable = alicePage.getByTestId('unreachable-source');
      await unreachable.getByText(/Your backup share last synced there/).waitFor();
      await unreachable.getByText('That backup is still on server-b', { exact: false }).waitFor();
      assert.equal(await alicePage.getByText('No peer holds a backup of yours yet').count(), 0);
      await screenshotBoth(alicePage, '42-restore-peer-offline');
    } finally {
      proxy.refuse(0);
    }
    await adminA.getByRole('region', { name: 'Peers' }).getByText('Online', { exact: true }).waitFor({ timeout: 30_000 });
    await adminA.getByTestId('backup-verdict').getByText(/All 2 shares backed up/).waitFor();
  });

  it('draws an indeterminate bar while a sync compares, then bytes, speed and time left, and cancels it from the Synchronization page', async () => {
    await writeFiles(aliceShare, { 'videos/holiday.mp4': randomBytes(16 * 1024 * 1024) });
    // every request waits 3 s on the way to the peer: the run spends seconds connecting and comparing
    proxy.setLatency('up', 3_000);
    proxy.setRate('up', SLOW_RATE);
    try {
      await openFromMenu(adminA, 'Synchronization');
      const started = await alice.client.post(`/api/shares/${alice.backupShareId}/sync`);
      assert.equal(started.status, 202);
      const running = adminA.getByRole('region', { name: 'Running now' });
      const comparing = running.getByTestId('progress-indeterminate');
      await comparing.waitFor();
      assert.match((await comparing.textContent()) ?? '', /Connecting to the peer…|Comparing/);
      assert.equal(await running.getByText('0 of 0 files').count(), 0, 'no "0 of 0 files" while comparing');
      await screenshotBoth(adminA, '43-sync-comparing');

      proxy.setLatency('up', 0);
      const bar = running.getByRole('progressbar', { name: 'Sync of alice/backup to server-b' });
      await running.getByText(/about .* left/).waitFor({ timeout: 30_000 });
      const value = Number(await bar.getAttribute('aria-valuenow'));
      assert.ok(value < 100, `the bar of a run under way is not full (${value} %)`);
      await screenshotBoth(adminA, '44-sync-uploading');

      await running.getByRole('button', { name: 'Cancel the sync of alice/backup to server-b' }).click();
      await running.getByText('No sync is running.').waitFor();
      const logs = adminA.getByRole('region', { name: 'Sync logs' });
      await logs.getByRole('row').nth(1).getByText('Cancelled', { exact: true }).waitFor();
      await screenshotBoth(adminA, '45-sync-cancelled');
    } finally {
      proxy.setLatency('up', 0);
      proxy.setRate('up', null);
    }
  });

  it("lets a user cancel their own share's Sync, and the next Sync completes", async () => {
    await writeFiles(aliceShare, { 'videos/birthday.mp4': randomBytes(16 * 1024 * 1024) });
    proxy.setRate('up', SLOW_RATE);
    await openFromMenu(alicePage, 'My backup');
    const backupCard = alicePage.getByRole('region', { name: 'backup' });
    try {
      await backupCard.getByRole('button', { name: 'Sync', exact: true }).click();
      await backupCard.getByText(/about .* left/).waitFor({ timeout: 30_000 });
      await screenshotBoth(alicePage, '46-my-backup-syncing');
      await backupCard.getByRole('button', { name: 'Cancel the sync to server-b' }).click();
      await backupCard.getByTestId('sync-result').getByText('Sync to server-b cancelled').waitFor();
    } finally {
      proxy.setRate('up', null);
    }
    await backupCard.getByRole('button', { name: 'Sync', exact: true }).click();
    await backupCard.getByTestId('sync-result').getByText('Synced to server-b').waitFor({ timeout: 60_000 });
  });

  it('draws a failed admin restore as what it restored, not a full bar, and cancels a running one', async () => {
    async function startRestoreOfAlice() {
      await openFromMenu(adminA, 'Admin restore');
      await adminA.getByRole('checkbox', { name: 'admin' }).uncheck();
      await adminA.getByRole('button', { name: 'Start restore' }).click();
      await adminA.getByRole('dialog', { name: "Restore into the users' shares?" }).getByRole('button', { name: 'Start restore' }).click();
    }
    const progress = adminA.getByRole('region', { name: 'Progress', exact: true });
    const jobBar = progress.getByRole('progressbar', { name: 'From server-b' });

    // the peer cannot be reached: the job fails before it knows a single file
    proxy.refuse(3_600);
    proxy.cut();
    try {
      await startRestoreOfAlice();
      await progress.locator('[data-testid="restore-job"][data-status="failure"]').waitFor({ timeout: 60_000 });
      assert.equal(await jobBar.getAttribute('aria-valuenow'), '0');
      assert.equal(await jobBar.getAttribute('data-state'), 'failed');
      await screenshotBoth(adminA, '47-admin-restore-failed');
    } finally {
      proxy.refuse(0);
    }

    await rm(aliceShare, { recursive: true, force: true });
    proxy.setRate('down', SLOW_RATE);
    try {
      await startRestoreOfAlice();
      await progress.getByText(/\d+ % · [1-9]\d* of \d+ files/).first().waitFor({ timeout: 60_000 });
      await progress.getByRole('button', { name: 'Cancel the restore From server-b' }).click();
      await progress.locator('[data-testid="restore-job"][data-status="cancelled"]').waitFor({ timeout: 30_000 });
      await progress.getByText('The restore was cancelled by admin', { exact: true }).waitFor();
      assert.equal(await jobBar.getAttribute('data-state'), 'cancelled');
      assert.ok(Number(await jobBar.getAttribute('aria-valuenow')) < 100, 'a cancelled restore is not drawn as complete');
      await screenshotBoth(adminA, '48-admin-restore-cancelled');
    } finally {
      proxy.setRate('down', null);
    }
  });

  it('raised no error in the browser console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
