import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type ClusterServer, createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import { launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

const names = Array.from({ length: 12 }, (_, index) => `letters/letter-${index}.odt`);
const contents = () => Object.fromEntries(names.map((relPath) => [relPath, randomBytes(2000)]));

describe('a sync held by the ransomware tripwire, in the browser', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let browser: Browser;
  let adminA: Page;
  let alice: Awaited<ReturnType<typeof createUser>>;
  let aliceShare: string;
  const consoleProblems: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    [a, b, browser] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' }), launchChromium()]);
    alice = await createUser(a, 'alice');
    aliceShare = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await pairPeer(a, b, 'password of b');
    await writeFiles(aliceShare, contents());
    const [first] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(first?.status, 'success');
    // every file rewritten at once
    await writeFiles(aliceShare, contents());
    const [held] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(held?.errorCode, 'RANSOMWARE_TRIPWIRE');
    adminA = await (await openContext(browser, a.test.url)).newPage();
    watchConsole(adminA, consoleProblems);
    await signIn(adminA, 'admin', 'server-a admin password');
  });
  after(async () => {
    await browser?.close();
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('shows the held run on the overview with the guard, the share and the counts', async () => {
    await openFromMenu(adminA, 'Overview');
    const failures = adminA.getByRole('region', { name: 'Recent failures' });
    await failures.getByText('Held: ransomware tripwire').waitFor();
    await failures.getByText('alice/backup → server-b', { exact: false }).waitFor();
    await failures.getByText('12 of the 12 files of alice/backup would be rewritten at once', { exact: false }).waitFor();
    await screenshotBoth(adminA, '27b-overview-held-tripwire');
  });

  it('confirms the changes from the sync logs, and the next run sends them', async () => {
    await adminA.getByRole('region', { name: 'Recent failures' }).getByRole('link', { name: 'Review and confirm in the sync logs' }).click();
    const heldRow = adminA.getByRole('row').filter({ hasText: 'would be rewritten at once' });
    await heldRow.getByRole('button', { name: 'Confirm the changes…' }).click();
    const dialog = adminA.getByRole('dialog', { name: 'Send the rewritten files to the peer?' });
    await dialog.getByText('ransomware encrypts files in place', { exact: false }).waitFor();
    await screenshotBoth(adminA, '23b-confirm-tripwire');
    await dialog.getByRole('button', { name: 'Sync the changes' }).click();
    // the logs, newest first: the confirmed run on top turns to success
    await adminA.getByRole('row').nth(1).getByText('Success').waitFor({ timeout: 60_000 });
    const [latest] = (await a.admin.get('/api/admin/sync/logs?limit=1')).body.logs;
    assert.equal(latest.status, 'success');
    assert.equal(latest.fileCount, 12);
  });

  it('raised no error in the browser console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
