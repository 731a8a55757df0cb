import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { groupedKeyText, parseKeyText } from '../../src/crypto/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { signIn } from './support/pages.js';

const ADMIN_PASSWORD = 'a long admin passphrase';

/** Reads the text of a file the page offered for download. */
async function downloadedText(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const file = await download.path();
  return { name: download.suggestedFilename(), text: await readFile(file, 'utf8') };
}

describe('first setup, accounts and settings in the browser', () => {
  let server: TestServer;
  let browser: Browser;
  let adminContext: BrowserContext;
  let admin: Page;
  let consoleProblems: string[];
  let activationLink: string;

  before(async () => {
    await ensureWebBuilt();
    [server, browser] = await Promise.all([startTestServer(), launchChromium()]);
    adminContext = await openContext(browser, server.url);
    admin = await adminContext.newPage();
    consoleProblems = watchConsole(admin);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('sets the server up, checking each field, then shows the administrator key once', async () => {
    await admin.goto('/');
    await admin.getByRole('heading', { name: 'Set up this server' }).waitFor();
    await screenshotBoth(admin, '01-setup');

    // the second way in: a rebuild from the recovery kit, its fields checked before anything is sent
    await admin.getByRole('button', { name: 'Rebuild this server from its recovery kit' }).click();
    await admin.getByRole('heading', { name: 'Rebuild this server from its recovery kit' }).waitFor();
    await admin.getByRole('button', { name: 'Rebuild from this kit' }).click();
    await admin.getByText('Choose the recovery kit file').waitFor();
    await admin.getByText('Give the passphrase the kit was made with').waitFor();
    await admin.getByLabel('From a peer that keeps a copy').check();
    assert.equal(await admin.getByLabel('Peer port').inputValue(), '8443', 'port 8443 by default');
    await screenshotBoth(admin, '01b-setup-rebuild');
    await admin.getByRole('button', { name: 'Set up a new server instead' }).click();
    await admin.getByRole('heading', { name: 'Set up this server' }).waitFor();

    await admin.getByLabel('Server name').fill('Home Server');
    await admin.getByLabel('Password', { exact: true }).fill('short');
    await admin.getByRole('button', { name: 'Set up the server' }).click();
    await admin.getByText('Use 1–63 lowercase letters').waitFor();
    await admin.getByText('Use at least 8 characters').waitFor();
    assert.equal(await admin.getByLabel('Server name').getAttribute('aria-invalid'), 'true');

    await admin.getByLabel('Server name').fill('home');
    await admin.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await admin.getByLabel('Repeat the password').fill(ADMIN_PASSWORD);
    await admin.getByRole('button', { name: 'Set up the server' }).click();

    const key = (await admin.getByTestId('encryption-key').textContent())?.trim() ?? '';
    assert.equal(parseKeyText(key)?.length, 32, 'the key in groups');
    const kit = await downloadedText(admin, () => admin.getByRole('button', { name: 'Download recovery kit' }).click());
    assert.equal(kit.name, 'anemone-recovery-kit-home-admin.txt');
    assert.ok(kit.text.includes(key), 'the kit holds the key');
    assert.match(kit.text, /npx anemone decrypt --out/);
    const proceed = admin.getByRole('button', { name: 'Continue to the dashboard' });
    assert.equal(await proceed.isDisabled(), true, 'leaving needs the confirmation');
    await screenshotBoth(admin, '02-setup-key');
    await admin.getByLabel('I have saved my key somewhere safe').check();
    await proceed.click();
    await admin.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.equal(new URL(admin.url()).pathname, '/admin');
    await screenshotBoth(admin, '03-overview-empty');
  });

  it('adds a user and hands over an activation link; a taken name is refused next to the field', async () => {
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    assert.equal(await admin.title(), 'Users · home · Anemone');
    await admin.getByLabel('Username').fill('Bob!');
    await admin.getByRole('button', { name: 'Add user' }).click();
    await admin.getByText('Use 1–32 lowercase letters').waitFor();

    await admin.getByLabel('Username').fill('bob');
    await admin.getByRole('button', { name: 'Add user' }).click();
    activationLink = ((await admin.getByTestId('activation-link').textContent()) ?? '').trim();
    assert.match(activationLink, new RegExp(`^${server.url}/activate\\?token=.+`));
    await admin.getByRole('cell', { name: 'Waiting for activation' }).waitFor();
    await screenshotBoth(admin, '04-users');

    await admin.getByLabel('Username').fill('bob');
    await admin.getByRole('button', { name: 'Add user' }).click();
    await admin.getByText('That username is already in use').waitFor();
  });

  it('activates the account from the link: the key once, a kit to download, a confirmation, then signed in', async () => {
    const bobContext = await openContext(browser, server.url);
    const bob = await bobContext.newPage();
    const bobProblems = watchConsole(bob);
    await bob.goto(activationLink);
    await bob.getByRole('heading', { name: 'Activate your account' }).waitFor();
    await screenshotBoth(bob, '05-activate');
    await bob.getByLabel('Password', { exact: true }).fill('bob password 1');
    await bob.getByLabel('Repeat the password').fill('bob password 2');
    await bob.getByRole('button', { name: 'Set my password' }).click();
    await bob.getByText('The two passwords differ').waitFor();
    await bob.getByLabel('Repeat the password').fill('bob password 1');
    await bob.getByRole('button', { name: 'Set my password' }).click();

    const key = (await bob.getByTestId('encryption-key').textContent())?.trim() ?? '';
    assert.equal(parseKeyText(key)?.length, 32, 'the key in groups');
    const kit = await downloadedText(bob, () => bob.getByRole('button', { name: 'Download recovery kit' }).click());
    assert.equal(kit.name, 'anemone-recovery-kit-home-bob.txt');
    assert.ok(kit.text.includes(key));
    assert.match(kit.text, /incoming\/home\/bob\/backup\//);
    await screenshotBoth(bob, '06-activate-key');
    await bob.getByLabel('I have saved my key somewhere safe').check();
    await bob.getByRole('button', { name: 'Continue to my backup' }).click();
    await bob.getByRole('heading', { name: 'My backup' }).waitFor();
    await bob.getByRole('heading', { name: 'backup', exact: true }).waitFor();
    // where the files are: this server's own WebDAV address, ready to copy
    const fileAccess = bob.getByRole('region', { name: 'Reach your files' });
    assert.equal(await fileAccess.locator('code').first().textContent(), new URL('/dav/', server.url).toString());
    await fileAccess.getByRole('button', { name: 'Copy address' }).waitFor();
    await screenshotBoth(bob, '07-my-backup-new-user');

    // a user is no administrator: no admin menu, and the admin pages say so
    assert.equal(await bob.getByRole('link', { name: 'Peers' }).count(), 0);
    await bob.goto('/admin/peers');
    await bob.getByText('This page is for administrators').waitFor();

    // the link worked once
    const again = await bobContext.newPage();
    await again.goto(activationLink);
    await again.getByLabel('Password', { exact: true }).fill('another password');
    await again.getByLabel('Repeat the password').fill('another password');
    await again.getByRole('button', { name: 'Set my password' }).click();
    await again.getByText('This activation link is not valid').waitFor();
    await again.getByText('ask an administrator for a new one').waitFor();
    assert.deepEqual(bobProblems, []);
    await bobContext.close();
  });

  it('marks bob as awaiting his key; the list says so after a reload, and his page takes the key', async () => {
    await admin.goto('/admin/users');
    await admin.getByRole('button', { name: 'Mark bob as awaiting their key' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Mark bob as awaiting their key?' });
    await dialog.getByRole('button', { name: 'Mark as awaiting key' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await admin.reload();
    await admin.getByText('Awaiting key').waitFor();
    await admin.getByRole('button', { name: 'Withdraw the key request of bob' }).waitFor();

    const bobContext = await openContext(browser, server.url);
    const bob = await bobContext.newPage();
    const bobProblems = watchConsole(bob);
    await signIn(bob, 'bob', 'bob password 1');
    await bob.getByRole('heading', { name: 'Enter your encryption key' }).waitFor();
    await bob.getByRole('textbox', { name: 'Your encryption key' }).fill('not a key');
    await bob.getByRole('button', { name: 'Use this key' }).click();
    await bob.getByText('This is not an encryption key').waitFor();
    await screenshotBoth(bob, '07b-enter-key');
    // no peer holds bob's backup here, so there is nothing to check the key against; typed from paper, in lower case
    await bob.getByRole('textbox', { name: 'Your encryption key' }).fill(groupedKeyText(Buffer.alloc(32, 7)).toLowerCase());
    await bob.getByRole('button', { name: 'Use this key' }).click();
    await bob.getByText('Your key is back on this server.').waitFor();
    assert.deepEqual(bobProblems, []);
    await bobContext.close();

    await admin.reload();
    await admin.getByRole('button', { name: 'Mark bob as awaiting their key' }).waitFor();
    assert.equal(await admin.getByText('Awaiting key', { exact: true }).count(), 0);
  });

  it('deletes a user only after confirming', async () => {
    await admin.goto('/admin/users');
    await admin.getByRole('button', { name: 'Delete bob' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Delete bob?' });
    await dialog.waitFor();
    await screenshotBoth(admin, '08-users-confirm-delete');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await admin.getByRole('cell', { name: 'bob', exact: true }).count(), 1);

    await admin.getByRole('button', { name: 'Delete bob' }).click();
    await dialog.getByRole('button', { name: 'Delete user' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await admin.getByRole('button', { name: 'Delete bob' }).waitFor({ state: 'detached' });
    const users = (await (await admin.request.get('/api/admin/users')).json()) as { users: { username: string }[] };
    assert.deepEqual(
      users.users.map((user) => user.username),
      ['admin'],
    );
  });

  it("shows this server's fingerprint, saves the sync settings, and downloads the recovery kit", async () => {
    await admin.goto('/admin/settings');
    const fingerprint = (await admin.getByTestId('server-fingerprint').textContent())?.trim();
    assert.equal(fingerprint, server.server.identity.fingerprint);
    const peerPort = Number(new URL(server.url).port);
    assert.equal((await admin.getByTestId('server-peer-port').textContent())?.trim(), String(peerPort));

    // the Incoming syncs form's own Save: the Notifications form below has one too
    const incoming = admin.getByRole('form', { name: 'Incoming syncs' });
    await admin.getByRole('switch', { name: 'Accept incoming syncs' }).check();
    await admin.getByLabel('Server password', { exact: true }).fill('short');
    await incoming.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.getByText('Use at least 8 characters').waitFor();
    await admin.getByLabel('Server password', { exact: true }).fill('the sync password');
    await admin.getByLabel('Repeat the password').fill('the sync password');
    // retention: 30 days by default, checked as the server checks it
    const keepDays = incoming.getByLabel('Keep old versions for (days)');
    assert.equal(await keepDays.inputValue(), '30');
    await keepDays.fill('-1');
    await incoming.getByRole('button', { name: 'Save', exact: true }).click();
    await incoming.getByText('Give a whole number of days').waitFor();
    await keepDays.fill('90');
    await incoming.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.getByText('Saved.').waitFor();
    const settings = (await (await admin.request.get('/api/admin/settings/sync')).json()) as { acceptIncoming: boolean; passwordSet: boolean };
    assert.deepEqual(settings, { acceptIncoming: true, passwordSet: true, keepVersionsDays: 90, fingerprint, peerPort });

    await admin.getByLabel('Passphrase', { exact: true }).fill('too short');
    await admin.getByRole('button', { name: 'Download recovery kit' }).click();
    await admin.getByText('Use at least 12 characters').waitFor();
    await admin.getByLabel('Passphrase', { exact: true }).fill('correct horse battery staple');
    await admin.getByLabel('Repeat the passphrase').fill('correct horse battery staple');
    const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByRole('button', { name: 'Download recovery kit' }).click()]);
    const kit = await readFile(await download.path());
    assert.ok(kit.length > 100, 'a sealed kit');
    assert.equal(kit.includes(Buffer.from(ADMIN_PASSWORD)), false);
    await admin.getByText('The recovery kit was downloaded').waitFor();
    await screenshotBoth(admin, '09-settings');
  });

  it('signs out, refuses a wrong password with the reason, and signs in again', async () => {
    await admin.getByRole('button', { name: 'Sign out' }).click();
    await admin.getByRole('heading', { name: 'Sign in' }).waitFor();
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByText('Required').first().waitFor();
    await admin.getByLabel('Username').fill('admin');
    await admin.getByLabel('Password').fill('not the password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByText('Wrong username or password').waitFor();
    await screenshotBoth(admin, '10-login-error');
    await admin.getByLabel('Password').fill(ADMIN_PASSWORD);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it('opens the menu on a phone', async () => {
    await admin.setViewportSize({ width: 390, height: 844 });
    await admin.getByRole('button', { name: 'Open menu' }).click();
    await admin.locator('#mobile-menu').getByRole('link', { name: 'Synchronization' }).waitFor();
    await admin.screenshot({ path: 'test/e2e/screenshots/11-menu-phone.png' });
    await admin.locator('#mobile-menu').getByRole('link', { name: 'Users' }).click();
    await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    assert.equal(await admin.locator('#mobile-menu').count(), 0, 'the menu closes on navigation');
    await admin.setViewportSize({ width: 1280, height: 800 });
  });

  it('raised no error in the browser console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
