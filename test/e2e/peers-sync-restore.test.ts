import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type ClusterServer, createUser, startNamedServer, writeFiles } from '../helpers/sync-cluster.js';
import { downloadedBytes, launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

const PASSWORD_OF_B = 'password of b';

/** A port on loopback where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('peers, schedule, sync, restore and incoming backups in the browser, between two servers', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let browser: Browser;
  let adminA: Page;
  let alicePage: Page;
  const consoleProblems: string[] = [];
  const aliceFiles = { 'notes/todo.txt': 'buy milk\n', 'photos/cat.jpg': randomBytes(300_000), 'big.bin': randomBytes(2 * 1024 * 1024 + 17) };
  let aliceShare: string;

  before(async () => {
    await ensureWebBuilt();
    [a, b, browser] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b'), launchChromium()]);
    await createUser(a, 'alice');
    aliceShare = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await writeFiles(aliceShare, aliceFiles);
    adminA = await (await openContext(browser, a.test.url)).newPage();
    watchConsole(adminA, consoleProblems);
    await signIn(adminA, 'admin', 'server-a admin password');
  });
  after(async () => {
    await browser?.close();
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('adds a peer, with Test Connection answering 403, 401, then ok with the fingerprint to confirm', async () => {
    await openFromMenu(adminA, 'Peers');
    await adminA.getByRole('button', { name: 'Add peer' }).click();
    const form = adminA.getByRole('form', { name: 'Add a peer' });
    assert.equal(await form.getByLabel('Port').inputValue(), '8443', 'port 8443 by default');

    await form.getByLabel('Name').fill('server-b');
    await form.getByLabel('Address').fill('https://127.0.0.1/');
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.getByText('Give a host name or an IP address only').waitFor();

    await form.getByLabel('Address').fill('127.0.0.1');
    await form.getByLabel('Port').fill(String(b.port));
    await form.getByLabel('Password', { exact: true }).fill('not the password');
    const result = form.getByTestId('test-result');

    // b does not accept syncs yet
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.locator('[data-testid="test-result"][data-outcome="PEER_FORBIDDEN"]').waitFor();
    assert.match((await result.textContent()) ?? '', /403 Forbidden — the peer is not accepting syncs/);

    // b accepts syncs, with a password this form does not have yet
    await b.admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password: PASSWORD_OF_B });
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.locator('[data-testid="test-result"][data-outcome="PEER_UNAUTHORIZED"]').waitFor();
    assert.match((await result.textContent()) ?? '', /401 Unauthorized — the peer password is wrong/);

    await form.getByLabel('Password', { exact: true }).fill(PASSWORD_OF_B);
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.locator('[data-testid="test-result"][data-outcome="OK"]').waitFor();
    assert.equal((await form.getByTestId('seen-fingerprint').textContent())?.trim(), b.test.server.identity.fingerprint);
    await result.getByText('server-b', { exact: true }).waitFor();
    await screenshotBoth(adminA, '20-peers-test-ok');
    // saving a tested peer is confirming its fingerprint: one button, no unconfirmed peer saved by mistake
    assert.equal(await form.getByRole('button', { name: 'Save peer', exact: true }).count(), 0);
    await form.getByText('Saving confirms the fingerprint above').waitFor();
    await form.getByRole('button', { name: 'Confirm fingerprint and save' }).click();
    await form.waitFor({ state: 'detached' });

    const card = adminA.getByRole('region', { name: 'server-b' });
    assert.equal((await card.locator('code').first().textContent())?.trim(), b.test.server.identity.fingerprint);
    await card.getByText('Online').waitFor();
    assert.equal(await card.getByText('Not tested yet').count(), 0);
    await screenshotBoth(adminA, '20b-peers-saved-confirmed');
    await card.getByRole('button', { name: 'Test connection' }).click();
    await card.getByText('This fingerprint is confirmed.').waitFor();
    await card.getByText('Online').waitFor();
  });

  it('refuses this server itself as a peer, saying so, with nothing to confirm', async () => {
    await adminA.getByRole('button', { name: 'Add peer' }).click();
    const form = adminA.getByRole('form', { name: 'Add a peer' });
    await form.getByLabel('Name').fill('myself');
    await form.getByLabel('Address').fill('127.0.0.1');
    await form.getByLabel('Port').fill(String(a.port));
    await form.getByRole('button', { name: 'Test connection' }).click();
    const result = form.locator('[data-testid="test-result"][data-outcome="PEER_IS_THIS_SERVER"]');
    await result.waitFor();
    await result.getByText('This address is this server itself, not a peer').waitFor();
    assert.equal(await form.getByRole('button', { name: /Confirm fingerprint/ }).count(), 0);
    await screenshotBoth(adminA, '20c-peers-self-refused');
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });
  });

  it('says "connection refused" for a peer where nothing listens', async () => {
    await adminA.getByRole('button', { name: 'Add peer' }).click();
    const form = adminA.getByRole('form', { name: 'Add a peer' });
    await form.getByLabel('Name').fill('offline-nas');
    await form.getByLabel('Address').fill('127.0.0.1');
    await form.getByLabel('Port').fill(String(await closedPort()));
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form.locator('[data-testid="test-result"][data-outcome="PEER_CONNECTION_REFUSED"]').waitFor();
    assert.match((await form.getByTestId('test-result').textContent()) ?? '', /Connection refused/);
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('edits a peer', async () => {
    const card = adminA.getByRole('region', { name: 'server-b' });
    await card.getByRole('button', { name: 'Edit' }).click();
    const form = adminA.getByRole('form', { name: 'Edit server-b' });
    assert.equal(await form.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is never sent back');
    await form.getByLabel('Timeout (minutes)').fill('0');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.getByText('Use 1 to 1440 minutes').waitFor();
    await form.getByLabel('Timeout (minutes)').fill('10');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await card.getByText('10 min without progress').waitFor();
    await screenshotBoth(adminA, '21-peers');
  });

  it('sets an upload limit with a weekly time window, then removes both', async () => {
    const card = adminA.getByRole('region', { name: 'server-b' });
    await card.getByRole('button', { name: 'Edit' }).click();
    const form = adminA.getByRole('form', { name: 'Edit server-b' });
    await form.getByLabel('Limit (KiB/s)').fill('0');
    await form.getByRole('button', { name: 'Add a time window' }).click();
    const window = form.getByTestId('upload-window');
    await window.getByLabel('KiB/s').fill('');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.getByText('Use 1 to 10000000 KiB/s, or leave empty for no limit').waitFor();
    await form.getByText('Give the limit in KiB/s for a "limit" window').waitFor();

    await form.getByLabel('Limit (KiB/s)').fill('512');
    await window.getByLabel('Uploads').selectOption('paused');
    await window.getByLabel('From').fill('19:00');
    await window.getByLabel('To').fill('21:30');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await card.getByText('512 KiB/s, and 1 time window').waitFor();
    const peers = (await (await adminA.request.get('/api/admin/peers')).json()) as { peers: { name: string; uploadWindows: unknown[] }[] };
    assert.deepEqual(peers.peers.find((peer) => peer.name === 'server-b')?.uploadWindows, [
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '19:00', end: '21:30', mode: 'paused' },
    ]);
    await card.getByRole('button', { name: 'Edit' }).click();
    await screenshotBoth(adminA, '21b-peer-upload-limit');
    await form.getByLabel('Limit (KiB/s)').fill('');
    await form.getByRole('button', { name: 'Remove this window' }).click();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await card.locator('xpath=.//dt[normalize-space()="Upload limit"]/following-sibling::dd[1][normalize-space()="None"]').waitFor();
  });

  it('deletes a peer only after confirming', async () => {
    const created = await adminA.request.post('/api/admin/peers', { data: { name: 'old-nas', address: '127.0.0.1', port: await closedPort() } });
    assert.equal(created.status(), 201);
    await adminA.reload();
    const card = adminA.getByRole('region', { name: 'old-nas' });
    await card.getByRole('button', { name: 'Delete' }).click();
    const dialog = adminA.getByRole('dialog', { name: 'Delete the peer old-nas?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await card.waitFor();

    await card.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete peer' }).click();
    await card.waitFor({ state: 'detached' });
    const peers = (await (await adminA.request.get('/api/admin/peers')).json()) as { peers: { name: string }[] };
    assert.deepEqual(
      peers.peers.map((peer) => peer.name),
      ['server-b'],
    );
  });

  it('sets a weekly schedule and shows the next run', async () => {
    await openFromMenu(adminA, 'Synchronization');
    await adminA.getByText('Weekly', { exact: true }).click();
    await adminA.getByLabel('Day of the week').selectOption({ label: 'Wednesday' });
    await adminA.getByLabel('Time', { exact: true }).fill('03:30');
    await adminA.getByRole('button', { name: 'Save schedule' }).click();
    await adminA.getByText('Schedule saved.').waitFor();
    const nextRun = adminA.getByTestId('next-run');
    await nextRun.getByText('Every Wednesday at 03:30.').waitFor();
    const text = (await nextRun.textContent()) ?? '';
    assert.match(text, /Next run: Wed.*03:30/);

    const config = (await a.admin.get('/api/admin/sync/config')).body;
    assert.deepEqual([config.mode, config.dayOfWeek, config.time, config.enabled], ['weekly', 3, '03:30', true]);
    const next = new Date(config.nextRunAt);
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: config.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(next);
    assert.equal(local, 'Wed 03:30');
  });

  it('syncs the backup share from the user dashboard and shows the run turn to success in the logs', async () => {
    const aliceContext = await openContext(browser, a.test.url);
    alicePage = await aliceContext.newPage();
    watchConsole(alicePage, consoleProblems);
    await signIn(alicePage, 'alice', 'alice password');
    await alicePage.getByRole('heading', { name: 'My backup' }).waitFor();
    const backupCard = alicePage.getByRole('region', { name: 'backup' });
    await backupCard.getByText('Never').waitFor();

    // the picture of a run under way: the polls after Sync are held at a running state until it is taken
    let holdRunning = true;
    await alicePage.route(/\/api\/shares\/\d+\/sync\?logIds=/, async (route) => {
      const response = await route.fetch();
      const status = (await response.json()) as { running: unknown[]; runs: unknown[] };
      if (holdRunning) {
        const startedAt = new Date().toISOString();
        status.running = [
          { logId: 0, user: 'alice', share: 'backup', peer: 'server-b', startedAt, phase: 'uploading', filesDone: 1, filesTotal: 3, bytesDone: 1_234_567, bytesTotal: 2_469_134, bytesPerSecond: 617_284, etaSeconds: 2 },
        ];
        status.runs = [];
      }
      await route.fulfill({ response, json: status });
    });
    await backupCard.getByRole('button', { name: 'Sync' }).click();
    const progress = backupCard.getByRole('progressbar', { name: 'Sync to server-b' });
    await progress.waitFor();
    assert.equal(await progress.getAttribute('aria-valuenow'), '50');
    await backupCard.getByText('603 KiB/s · about 2 s left', { exact: false }).waitFor();
    assert.equal(await backupCard.getByRole('button', { name: 'Syncing…' }).isDisabled(), true, 'one Sync at a time');
    await screenshotBoth(alicePage, '22-my-backup-syncing');
    holdRunning = false;

    const result = backupCard.getByTestId('sync-result');
    await result.waitFor({ timeout: 60_000 });
    assert.match((await result.textContent()) ?? '', /Synced to server-b.*3 files sent/);
    await backupCard.getByText('just now').waitFor();
    await screenshotBoth(alicePage, '22-my-backup-synced');
    await alicePage.unrouteAll();

    await adminA.reload();
    const row = adminA.getByRole('row').filter({ hasText: 'alice/backup' });
    await row.getByText('Success').waitFor();
    assert.match((await row.textContent()) ?? '', /server-b/);
    await screenshotBoth(adminA, '23-synchronization');
  });

  it('browses a restore and downloads a file whose bytes match, then several as a ZIP', async () => {
    await openFromMenu(alicePage, 'Restore');
    const source = alicePage.getByLabel('Restore from');
    assert.match((await source.locator('option:checked').textContent()) ?? '', /server-b — backup \(3 files/);
    const files = alicePage.getByRole('region', { name: 'Files' });
    await files.getByRole('button', { name: 'photos' }).click();
    await files.getByRole('navigation', { name: 'Folder' }).getByText('photos').waitFor();
    const cat = await downloadedBytes(alicePage, () => files.getByRole('link', { name: 'Download cat.jpg' }).click());
    assert.equal(cat.name, 'cat.jpg');
    assert.ok(cat.bytes.equals(aliceFiles['photos/cat.jpg']), 'the restored file has the bytes of the original');

    await files.getByRole('navigation', { name: 'Folder' }).getByRole('button', { name: 'backup' }).click();
    await files.getByLabel('Select the folder notes').check();
    await files.getByLabel('Select big.bin').check();
    await files.getByText('2 items selected').waitFor();
    await screenshotBoth(alicePage, '24-restore');
    const zip = await downloadedBytes(alicePage, () => files.getByRole('button', { name: 'Download as ZIP' }).click());
    assert.match(zip.name, /\.zip$/);
    assert.equal(zip.bytes.subarray(0, 2).toString('latin1'), 'PK');
    const names = zip.bytes.toString('latin1');
    assert.ok(names.includes('notes/todo.txt') && names.includes('big.bin'), 'the ZIP holds the selection');
    assert.ok(zip.bytes.length > aliceFiles['big.bin'].length * 0.9, 'with its content');
  });

  it('runs an admin restore that brings the lost files back into the share', async () => {
    await rm(path.join(aliceShare, 'photos'), { recursive: true });
    await rm(path.join(aliceShare, 'notes', 'todo.txt'));

    await openFromMenu(adminA, 'Admin restore');
    assert.match((await adminA.getByLabel('Restore from').locator('option:checked').textContent()) ?? '', /server-b/);
    await adminA.getByRole('checkbox', { name: 'admin' }).uncheck();
    await adminA.getByRole('checkbox', { name: 'alice' }).uncheck();
    await adminA.getByRole('button', { name: 'Start restore' }).click();
    await adminA.getByText('Choose at least one user').waitFor();
    await adminA.getByRole('checkbox', { name: 'alice' }).check();
    await adminA.getByRole('button', { name: 'Start restore' }).click();
    const dialog = adminA.getByRole('dialog', { name: "Restore into the users' shares?" });
    await dialog.getByRole('button', { name: 'Start restore' }).click();
    await adminA.locator('[data-testid="restore-job"][data-status="success"]').first().waitFor({ timeout: 60_000 });
    await screenshotBoth(adminA, '25-admin-restore');

    assert.equal(await readFile(path.join(aliceShare, 'notes', 'todo.txt'), 'utf8'), aliceFiles['notes/todo.txt']);
    assert.ok((await readFile(path.join(aliceShare, 'photos', 'cat.jpg'))).equals(aliceFiles['photos/cat.jpg']));
  });

  it('verifies the peer and shows a report per share', async () => {
    const verify = adminA.getByRole('region', { name: 'Verify a peer' });
    assert.match((await verify.getByLabel('Peer to check').locator('option:checked').textContent()) ?? '', /server-b/);
    assert.equal(await verify.getByLabel('Sample size').inputValue(), '10', 'a sample of 10 by default');
    await verify.getByLabel('Sample size').fill('5000');
    await verify.getByRole('button', { name: 'Start verify' }).click();
    await verify.getByText('Use 0 to 1000 files').waitFor();
    await verify.getByLabel('Sample size').fill('2');
    await verify.getByLabel('Users').selectOption('alice');
    await verify.getByRole('button', { name: 'Start verify' }).click();
    await verify.getByText('holds every file of the backups checked, unchanged').waitFor({ timeout: 60_000 });
    const share = verify.getByTestId('verify-share').filter({ hasText: 'alice — backup' });
    await share.getByText('All good').waitFor();
    await share.getByText('2 of 2 files downloaded and decrypted correctly').waitFor();
    await screenshotBoth(adminA, '25b-verify');
  });

  it('shows a failed sync to its user and on the overview, with what to do', async () => {
    await b.admin.request('PUT', '/api/admin/settings/sync', { password: 'a new password for b' });
    await openFromMenu(alicePage, 'My backup');
    const backupCard = alicePage.getByRole('region', { name: 'backup' });
    await backupCard.getByRole('button', { name: 'Sync' }).click();
    const result = backupCard.getByTestId('sync-result');
    await result.getByText('did not finish').waitFor({ timeout: 60_000 });
    assert.match((await result.textContent()) ?? '', /401 Unauthorized/);
    await screenshotBoth(alicePage, '26-my-backup-failed');

    await openFromMenu(adminA, 'Overview');
    const failures = adminA.getByRole('region', { name: 'Recent failures' });
    await failures.getByText(/401 Unauthorized/).waitFor();
    const [failure] = (await a.admin.get('/api/dashboard')).body.recentFailures;
    assert.ok(failure.hint);
    await failures.getByText(failure.hint).waitFor();
    await adminA.getByRole('region', { name: 'Peers' }).getByText('Unauthorised').waitFor();
    await screenshotBoth(adminA, '27-overview');
  });

  it('shows the incoming backups on the peer, and deletes one after confirming', async () => {
    const adminB = await (await openContext(browser, b.test.url)).newPage();
    watchConsole(adminB, consoleProblems);
    await signIn(adminB, 'admin', 'server-b admin password');
    await openFromMenu(adminB, 'Incoming backups');
    const source = adminB.getByRole('region', { name: 'server-a' });
    await source.getByRole('cell', { name: 'alice', exact: true }).waitFor();
    const overview = (await b.admin.get('/api/admin/incoming')).body;
    assert.equal(overview.peerCount, 1);
    assert.equal(overview.fileCount, 3);
    await adminB.getByText('backing up here').waitFor();
    await screenshotBoth(adminB, '28-incoming');

    await source.getByRole('button', { name: "Delete alice's backup share" }).click();
    const dialog = adminB.getByRole('dialog', { name: 'Delete these backups?' });
    await dialog.getByText('3 files').waitFor();
    await screenshotBoth(adminB, '29-incoming-confirm-delete');
    await dialog.getByRole('button', { name: 'Delete backups' }).click();
    await adminB.getByText("Deleted alice's backup share from server-a.").waitFor();
    assert.equal((await b.admin.get('/api/admin/incoming')).body.fileCount, 0);
  });

  it('raised no error in the browser console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
