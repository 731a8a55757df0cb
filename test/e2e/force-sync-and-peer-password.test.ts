import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type ClusterServer, createUser, pairPeer, startNamedServer, writeFiles } from '../helpers/sync-cluster.js';
import { launchChromium, openWatchedPage, screenshotBoth } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

const FIRST_PASSWORD_OF_B = 'first password of b';
const NEW_PASSWORD_OF_B = 'the new password of b';
const ALL_SHARES = ['admin/backup', 'alice/backup', 'bob/backup'];

interface IncomingShare {
  user: string;
  share: string;
  fileCount: number;
}

/** What server-b stores for server-a, per user and share, as its administrator sees it. */
async function storedOnB(b: ClusterServer): Promise<Record<string, number>> {
  const { sources } = (await b.admin.get('/api/admin/incoming')).body as { sources: { name: string; shares: IncomingShare[] }[] };
  const fromA = sources.find((source) => source.name === 'server-a');
  return Object.fromEntries((fromA?.shares ?? []).map((share) => [`${share.user}/${share.share}`, share.fileCount]));
}

function logRows(page: Page, userShare: string) {
  return page.getByRole('table', { name: 'Sync logs' }).getByRole('row').filter({ hasText: `${userShare} → server-b` });
}

/** The newest row of the sync logs for one share, on the Synchronization page. */
function newestLogRow(page: Page, userShare: string) {
  return logRows(page, userShare).first();
}

/** Waits until the logs list `count` runs of each share (they load and refresh on their own). */
async function waitForRunCount(page: Page, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const share of ALL_SHARES) {
    while ((await logRows(page, share).count()) !== count) {
      if (Date.now() > deadline) throw new Error(`the sync logs do not list ${count} runs of ${share}`);
      await delay(100);
    }
  }
}

/**
 * Clicks Force Sync now once the logs show the `runsSoFar` runs of each share,
 * and waits for this run's new rows, so the newest row read next is this run's.
 */
async function forceSync(page: Page, runsSoFar: number): Promise<void> {
  await waitForRunCount(page, runsSoFar);
  const force = page.getByRole('region', { name: 'Force Sync' });
  await force.getByRole('button', { name: 'Force Sync now' }).click();
  await force.getByText(`${ALL_SHARES.length} syncs started`).waitFor();
  await waitForRunCount(page, runsSoFar + 1);
}

describe('Force Sync, and a peer whose password changed, in the browser between two servers', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let browser: Browser;
  let adminA: Page;
  const consoleProblems: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    [a, b, browser] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: FIRST_PASSWORD_OF_B }), launchChromium()]);
    await pairPeer(a, b, FIRST_PASSWORD_OF_B);
    for (const [user, files] of [
      ['alice', { 'letters/to-gran.txt': 'Dear Gran,\n', 'photos/beach.jpg': randomBytes(200_000) }],
      ['bob', { 'homework.md': '# Maths\n', 'music/song.ogg': randomBytes(150_000), 'music/other.ogg': randomBytes(10_000) }],
    ] as const) {
      await createUser(a, user);
      await writeFiles(path.join(a.test.dataDir, 'shares', user, 'backup'), files);
    }
    adminA = await openWatchedPage(browser, a.test.url, consoleProblems);
    await signIn(adminA, 'admin', 'server-a admin password');
  });
  after(async () => {
    await browser?.close();
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it("Force Sync runs every user's backup share; the logs turn to success and the peer holds the files", async () => {
    assert.deepEqual(await storedOnB(b), {}, 'nothing on the peer before');
    await openFromMenu(adminA, 'Synchronization');
    // admin, alice and bob each have a backup share, and there is one peer: 3 syncs
    await forceSync(adminA, 0);
    await screenshotBoth(adminA, '80-force-sync-started');

    for (const userShare of ALL_SHARES) {
      await newestLogRow(adminA, userShare).getByText('Success', { exact: true }).waitFor({ timeout: 60_000 });
    }
    assert.match((await newestLogRow(adminA, 'alice/backup').textContent()) ?? '', /Files\s*2\s*Sent/, "alice's 2 files");
    assert.match((await newestLogRow(adminA, 'bob/backup').textContent()) ?? '', /Files\s*3\s*Sent/, "bob's 3 files");
    await screenshotBoth(adminA, '80b-force-sync-logs-success');

    assert.deepEqual(await storedOnB(b), { 'admin/backup': 0, 'alice/backup': 2, 'bob/backup': 3 });
  });

  it("after the peer's administrator changes its password, a sync fails saying the password was refused", async () => {
    const changed = await b.admin.request('PUT', '/api/admin/settings/sync', { password: NEW_PASSWORD_OF_B });
    assert.equal(changed.status, 200);
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'letters/to-grandad.txt': 'Dear Grandad,\n' });

    await forceSync(adminA, 1);
    const failed = newestLogRow(adminA, 'alice/backup');
    await failed.getByText('Failed', { exact: true }).waitFor({ timeout: 60_000 });
    // what the peer answered, and what to do about it
    await failed.getByText('401 Unauthorized — the peer password is wrong; update it in the peer settings').waitFor();
    await failed.getByText('Enter the server password set on the peer (its Settings → Sync).', { exact: false }).waitFor();

    await openFromMenu(adminA, 'Overview');
    const failures = adminA.getByRole('region', { name: 'Recent failures' });
    await failures.getByText('401 Unauthorized — the peer password is wrong; update it in the peer settings').first().waitFor();
    await adminA.getByRole('region', { name: 'Peers' }).getByText('Unauthorised').waitFor();
    await screenshotBoth(adminA, '81-overview-peer-password-refused');
    assert.deepEqual(await storedOnB(b), { 'admin/backup': 0, 'alice/backup': 2, 'bob/backup': 3 }, 'nothing new reached the peer');
  });

  it("the admin edits the peer's password (write-only), Test Connection succeeds and the next sync succeeds", async () => {
    await openFromMenu(adminA, 'Peers');
    const card = adminA.getByRole('region', { name: 'server-b' });
    await card.getByRole('button', { name: 'Edit' }).click();
    const form = adminA.getByRole('form', { name: 'Edit server-b' });
    const password = form.getByLabel('Password', { exact: true });
    assert.equal(await password.inputValue(), '', 'the stored password is never shown back');
    assert.equal(await password.getAttribute('type'), 'password');
    await password.fill(NEW_PASSWORD_OF_B);
    await screenshotBoth(adminA, '82-peer-edit-password');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });

    await card.getByRole('button', { name: 'Test connection' }).click();
    await card.getByText('This fingerprint is confirmed.').waitFor();
    await card.getByText('Online').waitFor();
    await screenshotBoth(adminA, '82b-peer-password-tested');

    // write-only: neither the API nor the page gives the password back, and the edit form opens empty again
    const peers = await adminA.request.get('/api/admin/peers');
    const peersText = await peers.text();
    assert.equal(peersText.includes(NEW_PASSWORD_OF_B) || peersText.includes(FIRST_PASSWORD_OF_B), false);
    await card.getByRole('button', { name: 'Edit' }).click();
    assert.equal(await form.getByLabel('Password', { exact: true }).inputValue(), '');
    assert.equal((await adminA.content()).includes(NEW_PASSWORD_OF_B), false);
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });

    await openFromMenu(adminA, 'Synchronization');
    await forceSync(adminA, 2);
    const synced = newestLogRow(adminA, 'alice/backup');
    await synced.getByText('Success', { exact: true }).waitFor({ timeout: 60_000 });
    assert.deepEqual(await storedOnB(b), { 'admin/backup': 0, 'alice/backup': 3, 'bob/backup': 3 }, "alice's new letter reached the peer");
  });

  it('raised no error in the browser console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
