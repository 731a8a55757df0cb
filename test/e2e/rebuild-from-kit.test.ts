import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type ClusterServer, createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import { pushKit } from '../helpers/recovery-kit.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { downloadedBytes, launchChromium, openWatchedPage, screenshotBoth } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

const PASSWORD_OF_B = 'password of b';
const KIT_PASSPHRASE = 'a kit passphrase kept on paper';

const BEACH = randomBytes(250_000);
const FILES: Record<'alice' | 'bob', Record<string, Buffer>> = {
  alice: { 'letters/to-gran.txt': Buffer.from('Dear Gran,\n'), 'photos/beach.jpg': BEACH },
  bob: { 'homework.md': Buffer.from('# Maths\n'), 'music/song.ogg': randomBytes(120_000) },
};

/**
 * A disaster in the browser: server-a's disk is lost; a fresh server on a new
 * data dir is rebuilt from the kit file on its setup page, restarted, and its
 * administrator brings every user's files back from the peer.
 */
describe('a successful rebuild from a recovery kit in the browser', () => {
  let a: ClusterServer;
  let aLost = false;
  let b: ClusterServer;
  let browser: Browser;
  let kit: Buffer;
  let rebuiltDir: string;
  let rebuilt: TestServer | undefined;
  const consoleProblems: string[] = [];

  const watched = (url: string): Promise<Page> => openWatchedPage(browser, url, consoleProblems);

  before(async () => {
    await ensureWebBuilt();
    [a, b, browser] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: PASSWORD_OF_B }), launchChromium()]);
    await pairPeer(a, b, PASSWORD_OF_B);
    for (const user of ['alice', 'bob'] as const) {
      const { client, backupShareId } = await createUser(a, user);
      await writeFiles(path.join(a.test.dataDir, 'shares', user, 'backup'), FILES[user]);
      const [run] = await syncAndWait(client, a.admin, backupShareId);
      assert.equal(run?.status, 'success', `${user}'s backup reached the peer`);
    }
    rebuiltDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-rebuilt-'));
  });
  after(async () => {
    await browser?.close();
    await Promise.all([aLost ? undefined : a?.test.stop(), b?.test.stop(), rebuilt?.stop()]);
    await rm(rebuiltDir, { recursive: true, force: true });
  });

  it("downloads server-a's recovery kit from Settings, then server-a is lost", async () => {
    const admin = await watched(a.test.url);
    await signIn(admin, 'admin', 'server-a admin password');
    await admin.goto('/admin/settings');
    await admin.getByLabel('Passphrase', { exact: true }).fill(KIT_PASSPHRASE);
    await admin.getByLabel('Repeat the passphrase').fill(KIT_PASSPHRASE);
    ({ bytes: kit } = await downloadedBytes(admin, () => admin.getByRole('button', { name: 'Download recovery kit' }).click()));
    await admin.getByText('The recovery kit was downloaded').waitFor();
    await admin.context().close();
    // the copy server-b keeps, for the second way in below
    await pushKit(a.admin);

    await a.test.stop();
    aLost = true;
    assert.equal(existsSync(a.test.dataDir), false, "server-a's data dir is gone");
  });

  it('rebuilds a fresh server from the kit file on its setup page', async () => {
    rebuilt = await startTestServer({ dataDir: rebuiltDir, keepDataDir: true });
    const page = await watched(rebuilt.url);
    await page.goto('/');
    await page.getByRole('button', { name: 'Rebuild this server from its recovery kit' }).click();
    await page.getByRole('heading', { name: 'Rebuild this server from its recovery kit' }).waitFor();
    const form = page.getByRole('form', { name: 'Rebuild from the kit file' });
    await form.getByLabel('Recovery kit file').setInputFiles({ name: 'anemone-server-a-recovery-kit.bin', mimeType: 'application/octet-stream', buffer: kit });

    // a wrong passphrase is refused and says so; nothing is rebuilt
    await form.getByLabel('Kit passphrase').fill('not the kit passphrase');
    await form.getByRole('button', { name: 'Rebuild from this kit' }).click();
    await form.getByRole('alert').first().waitFor();
    assert.equal(await page.getByTestId('rebuild-done').count(), 0);

    await form.getByLabel('Kit passphrase').fill(KIT_PASSPHRASE);
    await form.getByRole('button', { name: 'Rebuild from this kit' }).click();
    const done = page.getByTestId('rebuild-done');
    await done.getByText('Server "server-a" is restored.').waitFor({ timeout: 60_000 });
    await done.getByText('3 users (admin, alice, bob), 1 peer (server-b), 6 shares.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Set up a new server instead' }).count(), 0, 'the server is set up now: only a restart is left');
    await done.getByText(a.test.server.identity.fingerprint).waitFor();
    await screenshotBoth(page, '83-rebuild-done');
    await page.context().close();
  });

  it('after a restart, the administrator signs in with the old password and restores every user from the peer', async () => {
    await rebuilt?.stop();
    rebuilt = await startTestServer({ dataDir: rebuiltDir, keepDataDir: true });
    assert.equal(rebuilt.server.identity.fingerprint, a.test.server.identity.fingerprint, 'the restored certificate, which the peer knows');

    const admin = await watched(rebuilt.url);
    await signIn(admin, 'admin', 'server-a admin password');
    await openFromMenu(admin, 'Admin restore');
    assert.match((await admin.getByLabel('Restore from').locator('option:checked').textContent()) ?? '', /server-b/);
    // the administrator never backed anything up: alice and bob only
    await admin.getByRole('checkbox', { name: 'admin' }).uncheck();
    await admin.getByRole('button', { name: 'Start restore' }).click();
    await admin.getByRole('dialog', { name: "Restore into the users' shares?" }).getByRole('button', { name: 'Start restore' }).click();
    await admin.locator('[data-testid="restore-job"][data-status="success"]').first().waitFor({ timeout: 60_000 });
    await screenshotBoth(admin, '84-rebuilt-admin-restore');

    for (const user of ['alice', 'bob'] as const) {
      for (const [file, bytes] of Object.entries(FILES[user])) {
        const restored = await readFile(path.join(rebuiltDir, 'shares', user, 'backup', ...file.split('/')));
        assert.ok(restored.equals(bytes), `${user}'s ${file} is back, byte for byte`);
      }
    }
  });

  it('alice signs in with her old password and downloads her photo from the peer, byte-identical', async () => {
    assert.ok(rebuilt);
    const alice = await watched(rebuilt.url);
    await signIn(alice, 'alice', 'alice password');
    await openFromMenu(alice, 'Restore');
    const files = alice.getByRole('region', { name: 'Files' });
    await files.getByRole('button', { name: 'photos' }).click();
    const photo = await downloadedBytes(alice, () => files.getByRole('link', { name: 'Download beach.jpg' }).click());
    assert.equal(photo.name, 'beach.jpg');
    assert.ok(photo.bytes.equals(BEACH), 'the bytes of the original');
    await screenshotBoth(alice, '85-rebuilt-user-restore');
  });

  it("rebuilds another fresh server from the copy of the kit its peer keeps, after comparing the peer's fingerprint", async () => {
    const fresh = await startTestServer();
    try {
      const page = await watched(fresh.url);
      await page.goto('/');
      await page.getByRole('button', { name: 'Rebuild this server from its recovery kit' }).click();
      await page.getByLabel('From a peer that keeps a copy').check();
      const find = page.getByRole('form', { name: 'Find the peer' });
      await find.getByLabel('Peer address').fill('127.0.0.1');
      await find.getByLabel('Peer port').fill(String(b.port));
      await find.getByRole('button', { name: 'Find the peer' }).click();
      const form = page.getByRole('form', { name: 'Rebuild from the peer' });
      assert.equal((await form.getByTestId('peer-fingerprint').textContent())?.trim(), b.test.server.identity.fingerprint);
      await form.getByLabel('It matches').check();
      await form.getByLabel("This server's name").fill('server-a');
      await form.getByLabel("Peer's server password").fill(PASSWORD_OF_B);
      await form.getByLabel('Kit passphrase').fill(KIT_PASSPHRASE);
      await screenshotBoth(page, '86-rebuild-from-peer');
      await form.getByRole('button', { name: 'Rebuild from this peer' }).click();
      const done = page.getByTestId('rebuild-done');
      await done.getByText('Server "server-a" is restored.').waitFor({ timeout: 60_000 });
      await done.getByText('3 users (admin, alice, bob), 1 peer (server-b), 6 shares.').waitFor();
      await done.getByText(a.test.server.identity.fingerprint).waitFor();
      await page.context().close();
    } finally {
      await fresh.stop();
    }
  });

  it('raised no error in the browser console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
