import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type ClusterServer, createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import { downloadedBytes, launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

const PASSWORD_OF_B = 'password of b';

/** The history in the browser: a backup synced, overwritten and synced again, then got back as it was. */
describe('snapshots and versions in the browser, between two servers', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let browser: Browser;
  let alicePage: Page;
  const consoleProblems: string[] = [];
  const before_ = { 'notes/todo.txt': 'buy milk\n', 'keep.txt': 'unchanged\n' };
  const after_ = { 'notes/todo.txt': 'ENCRYPTED BY RANSOMWARE, pay up\n' };

  before(async () => {
    await ensureWebBuilt();
    [a, b, browser] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: PASSWORD_OF_B }), launchChromium()]);
    const alice = await createUser(a, 'alice');
    const share = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await pairPeer(a, b, PASSWORD_OF_B);
    await writeFiles(share, before_);
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
    await writeFiles(share, after_);
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
    alicePage = await (await openContext(browser, a.test.url)).newPage();
    watchConsole(alicePage, consoleProblems);
    await signIn(alicePage, 'alice', 'alice password');
  });
  after(async () => {
    await browser?.close();
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('shows the latest state by default, then the older snapshot picked on the timeline, downloading its old content', async () => {
    await openFromMenu(alicePage, 'Restore');
    const files = alicePage.getByRole('region', { name: 'Files' });
    const asOf = files.getByLabel('As of');
    assert.equal(await asOf.inputValue(), '', 'the latest state by default');
    const options = (await asOf.locator('option').allTextContents()).map((text) => text.trim());
    assert.equal(options.length, 3, `Latest and the two snapshots: ${JSON.stringify(options)}`);
    assert.equal(options[0], 'Latest');
    assert.match(options[1] ?? '', /— 2 files, /);
    assert.match(options[2] ?? '', /— 2 files, /);

    await files.getByRole('button', { name: 'notes' }).click();
    const latest = await downloadedBytes(alicePage, () => files.getByRole('link', { name: 'Download todo.txt', exact: true }).click());
    assert.equal(latest.bytes.toString(), after_['notes/todo.txt']);

    // the oldest snapshot is the last on the timeline (newest first); the folder stays open
    await asOf.selectOption({ index: 2 });
    await files.getByText('As it was on').waitFor();
    await files.getByRole('navigation', { name: 'Folder' }).getByText('notes').waitFor();
    const old = await downloadedBytes(alicePage, () => files.getByRole('link', { name: 'Download todo.txt', exact: true }).click());
    assert.equal(old.name, 'todo.txt');
    assert.equal(old.bytes.toString(), before_['notes/todo.txt'], 'the file as it was before the overwrite');
    await screenshotBoth(alicePage, '60-restore-as-of');

    await asOf.selectOption('');
    await files.getByText('Backup of').waitFor();
  });

  it("lists a file's versions, newest first, and downloads each", async () => {
    const files = alicePage.getByRole('region', { name: 'Files' });
    await files.getByRole('button', { name: 'Versions of todo.txt' }).click();
    const panel = files.getByRole('region', { name: 'Versions of todo.txt' });
    await panel.getByText('2 versions kept, newest first.').waitFor();
    const links = panel.getByRole('link', { name: /^Download todo\.txt as of / });
    assert.equal(await links.count(), 2);
    await screenshotBoth(alicePage, '61-restore-versions');
    const newest = await downloadedBytes(alicePage, () => links.first().click());
    assert.equal(newest.bytes.toString(), after_['notes/todo.txt']);
    const oldest = await downloadedBytes(alicePage, () => links.last().click());
    assert.equal(oldest.bytes.toString(), before_['notes/todo.txt']);
    await panel.getByRole('button', { name: 'Close' }).click();
    await panel.waitFor({ state: 'detached' });
  });

  it("shows on the peer the old versions' space, the retention and the quota per source, and edits them", async () => {
    const adminB = await (await openContext(browser, b.test.url)).newPage();
    watchConsole(adminB, consoleProblems);
    await signIn(adminB, 'admin', 'server-b admin password');
    await openFromMenu(adminB, 'Incoming backups');
    const overview = (await b.admin.get('/api/admin/incoming')).body as { versionBytes: number };
    assert.ok(overview.versionBytes > 0, 'the overwritten file is kept on the peer');
    const card = adminB.getByRole('region', { name: 'server-a' });
    await card.getByText(/ — the next prune frees /).waitFor();
    await card.getByText("30 days (this server's setting)").waitFor();
    await card.getByRole('columnheader', { name: 'Old versions' }).waitFor();
    assert.equal(await card.getByRole('definition').filter({ hasText: /^None$/ }).count(), 1, 'no quota yet');

    await card.getByRole('button', { name: 'Edit the retention and quota of server-a' }).click();
    const form = card.getByRole('form', { name: 'Limits of server-a' });
    await form.getByText("Empty: this server's 30 days.", { exact: false }).waitFor();
    await form.getByLabel('Keep old versions for (days)').fill('4000');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await form.getByText('Use at most 3650 days (10 years)').waitFor();
    await form.getByLabel('Keep old versions for (days)').fill('7');
    await form.getByLabel('Quota (GiB)').fill('2');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await form.waitFor({ state: 'detached' });
    await card.getByText('7 days (set for this server)').waitFor();
    await card.getByText(/ used of 2\.0 GiB$/).waitFor();
    const source = (await b.admin.get('/api/admin/incoming/server-a')).body as { keepVersionsDaysOverride: number | null; maxBytes: number | null };
    assert.deepEqual([source.keepVersionsDaysOverride, source.maxBytes], [7, 2 * 1024 ** 3]);
    await screenshotBoth(adminB, '62-incoming-history');

    // emptied: back to this server's retention, and no quota
    await card.getByRole('button', { name: 'Edit the retention and quota of server-a' }).click();
    await form.getByLabel('Keep old versions for (days)').fill('');
    await form.getByLabel('Quota (GiB)').fill('');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await card.getByText("30 days (this server's setting)").waitFor();
    const reset = (await b.admin.get('/api/admin/incoming/server-a')).body as { keepVersionsDaysOverride: number | null; maxBytes: number | null };
    assert.deepEqual([reset.keepVersionsDaysOverride, reset.maxBytes], [null, null]);
  });

  it('logs nothing red in the console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
