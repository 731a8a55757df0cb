import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type ClusterServer, createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import { launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

const PASSWORD_OF_B = 'password of b';

/** The server's local date, as it names a restore folder. */
function localDate(): string {
  const now = new Date();
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

describe('password change and reset, and restoring into a new folder, in the browser, with a backup on a peer', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let browser: Browser;
  let adminA: Page;
  const consoleProblems: string[] = [];
  const aliceFiles = { 'notes/todo.txt': 'buy milk\n' };
  let backupShareId: number;

  before(async () => {
    await ensureWebBuilt();
    [a, b, browser] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: PASSWORD_OF_B }), launchChromium()]);
    const alice = await createUser(a, 'alice');
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), aliceFiles);
    await pairPeer(a, b, PASSWORD_OF_B);
    backupShareId = alice.backupShareId;
    const runs = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.deepEqual(runs.map((run) => run.status), ['success']);
    adminA = await (await openContext(browser, a.test.url)).newPage();
    watchConsole(adminA, consoleProblems);
    await signIn(adminA, 'admin', 'server-a admin password');
  });
  after(async () => {
    await browser?.close();
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  async function alicePage(): Promise<Page> {
    const page = await (await openContext(browser, a.test.url)).newPage();
    watchConsole(page, consoleProblems);
    return page;
  }

  it('says on the sign-in page what to do when a password is forgotten', async () => {
    const page = await alicePage();
    await page.goto('/login');
    await page.getByText('Forgot your password?').waitFor();
    await page.getByText('Ask your administrator for a new activation link (Users → New link)').waitFor();
    await screenshotBoth(page, '40-login-forgot');
    await page.context().close();
  });

  it('changes the password on My backup after checking the current one; the new one signs in', async () => {
    const page = await alicePage();
    await signIn(page, 'alice', 'alice password');
    const card = page.getByRole('region', { name: 'Change password' });
    await card.getByLabel('Current password').fill('not my password');
    await card.getByLabel('New password', { exact: true }).fill('alice second password');
    await card.getByLabel('Repeat the new password').fill('alice second password');
    await card.getByRole('button', { name: 'Change password' }).click();
    await card.getByText('The current password is wrong').waitFor();
    await screenshotBoth(page, '41-change-password-wrong');

    await card.getByLabel('Current password').fill('alice password');
    await card.getByRole('button', { name: 'Change password' }).click();
    await card.getByText('Your password is changed.').waitFor();
    assert.equal(await card.getByLabel('Current password').inputValue(), '', 'the fields are emptied');
    await screenshotBoth(page, '42-change-password-done');
    await page.getByRole('button', { name: 'Sign out' }).first().click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('alice password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong username or password').waitFor();
    await signIn(page, 'alice', 'alice second password');
    await page.getByRole('heading', { name: 'My backup' }).waitFor();
    await page.context().close();
  });

  it('resets a forgotten password with a new link from the administrator: the key is unchanged, and a file comes back from the peer', async () => {
    const before = await alicePage();
    await signIn(before, 'alice', 'alice second password');

    await openFromMenu(adminA, 'Users');
    await adminA.getByRole('button', { name: 'New activation link for alice' }).click();
    const link = ((await adminA.getByTestId('activation-link').textContent()) ?? '').trim();
    assert.match(link, new RegExp(`^${a.test.url}/activate\\?token=.+`));
    await adminA.getByText('their files and encryption key stay as they are').waitFor();
    await adminA.getByRole('button', { name: 'Copy link' }).waitFor();
    await adminA.getByText('Password reset link sent').waitFor();
    await screenshotBoth(adminA, '43-users-new-link');

    const page = await alicePage();
    await page.goto(link);
    await page.getByLabel('Password', { exact: true }).fill('alice third password');
    await page.getByLabel('Repeat the password').fill('alice third password');
    await page.getByRole('button', { name: 'Set my password' }).click();
    await page.getByText('Your files and your encryption key are unchanged').waitFor();
    assert.equal(await page.getByTestId('encryption-key').count(), 0, 'the key is not shown again');
    await screenshotBoth(page, '44-reset-done');
    await page.getByRole('button', { name: 'Continue to my backup' }).click();
    await page.getByRole('heading', { name: 'My backup' }).waitFor();

    // the session signed in with the old password has ended
    await before.reload();
    await before.getByRole('heading', { name: 'Sign in' }).waitFor();
    await before.context().close();

    // the key is the same: the backup on the peer still decrypts
    await openFromMenu(page, 'Restore');
    const files = page.getByRole('region', { name: 'Files' });
    await files.getByRole('button', { name: 'notes' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), files.getByRole('link', { name: 'Download todo.txt' }).click()]);
    assert.equal(await readFile(await download.path(), 'utf8'), aliceFiles['notes/todo.txt']);
    await page.context().close();
  });

  it('restores into a new folder of the data share, says where, and the next sync of backup sends nothing', async () => {
    const page = await alicePage();
    await signIn(page, 'alice', 'alice third password');
    await openFromMenu(page, 'Restore');
    const files = page.getByRole('region', { name: 'Files' });
    await files.getByLabel('Select the folder notes').check();
    await files.getByRole('button', { name: 'Restore to my share…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore 1 item from backup?' });
    await dialog.waitFor();
    const today = localDate();
    await dialog.getByText(`data/restored-${today}/`).waitFor();
    await dialog.getByText('the copies are not backed up again').waitFor();
    await screenshotBoth(page, '45-restore-into-new-folder');
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.locator('[data-testid="restore-job"][data-status="success"]').waitFor({ timeout: 60_000 });
    await page.getByText(`Into data/restored-${today}/ (never synced)`).waitFor();
    await screenshotBoth(page, '46-restore-into-new-folder-done');
    await page.context().close();

    const shares = path.join(a.test.dataDir, 'shares', 'alice');
    assert.equal(await readFile(path.join(shares, 'data', `restored-${today}`, 'notes', 'todo.txt'), 'utf8'), aliceFiles['notes/todo.txt']);
    assert.deepEqual((await readdir(path.join(shares, 'backup'))).sort(), ['notes'], 'nothing new in the backup share');

    const alice = a.test.client();
    assert.equal((await alice.post('/api/auth/login', { username: 'alice', password: 'alice third password' })).status, 200);
    const [next] = await syncAndWait(alice, a.admin, backupShareId);
    assert.equal(next?.status, 'success');
    assert.equal(next?.fileCount, 0, 'the restored copies are not uploaded again');
  });

  it('raised no error in the browser console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
