import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type ClusterServer, createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import { launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

const PASSWORD_OF_B = 'password of b';
/** The administrator sits five hours behind UTC in December: a time typed in the page must reach the server as the right instant. */
const ADMIN_ZONE = 'America/New_York';

const original: Record<string, Buffer> = {
  'docs/report.docx': randomBytes(40_000),
  'docs/budget.xlsx': randomBytes(3_000),
  'photos/cat.jpg': randomBytes(70_000),
  'photos/dog.jpg': randomBytes(5_000),
  'notes/todo.txt': Buffer.from('buy milk\n'),
  'keep.txt': Buffer.from('never touched\n'),
};
const overwritten = ['docs/report.docx', 'photos/cat.jpg', 'notes/todo.txt'];
const deleted = 'docs/budget.xlsx';
const ransomNote = 'READ-ME-TO-DECRYPT.txt';

/** "YYYY-MM-DDTHH:MM:SS" of `instant` on a wall clock in `timeZone`: what a person there types in a datetime-local field. */
function wallClock(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** Admin restore "as of" in the browser: ransomware damage synced to the peer, undone from the page. */
describe('admin restore as of a time in the browser, between two servers', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let browser: Browser;
  let adminPage: Page;
  let aliceShare: string;
  /** A whole second after the first sync and before the damage. */
  let beforeDamage: Date;
  const consoleProblems: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    [a, b, browser] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: PASSWORD_OF_B }), launchChromium()]);
    const alice = await createUser(a, 'alice');
    aliceShare = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await pairPeer(a, b, PASSWORD_OF_B);
    await writeFiles(aliceShare, original);
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
    // the field takes whole seconds: the next one, then the damage well after it
    beforeDamage = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
    await delay(beforeDamage.getTime() + 1100 - Date.now());

    await writeFiles(aliceShare, Object.fromEntries(overwritten.map((relPath) => [relPath, randomBytes(original[relPath]?.length ?? 100)])));
    await rm(path.join(aliceShare, deleted));
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'), 'the damage reached the peer');
    await writeFiles(aliceShare, { [ransomNote]: 'send bitcoin\n' });

    adminPage = await (await openContext(browser, a.test.url, { timezoneId: ADMIN_ZONE })).newPage();
    watchConsole(adminPage, consoleProblems);
    await signIn(adminPage, 'admin', 'server-a admin password');
  });
  after(async () => {
    await browser?.close();
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('asks for a time when "as it was" is chosen, and names the browser’s time zone with the UTC equivalent', async () => {
    await openFromMenu(adminPage, 'Admin restore');
    await adminPage.getByRole('checkbox', { name: 'admin' }).uncheck();
    await adminPage.getByRole('radio', { name: /As it was at a time/ }).check();
    await adminPage.getByRole('button', { name: 'Start restore' }).click();
    await adminPage.getByText('Give a date and time, or choose the latest backup').waitFor();

    await adminPage.getByLabel('As of').fill(wallClock(beforeDamage, ADMIN_ZONE));
    const iso = beforeDamage.toISOString();
    await adminPage.getByText(`In this browser's time zone, ${ADMIN_ZONE} (UTC−05:00): ${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC.`, { exact: false }).waitFor();
  });

  it('puts every file back byte for byte as of a time before the damage, and lists the file made since, left in place', async () => {
    await adminPage.getByRole('button', { name: 'Start restore' }).click();
    const dialog = adminPage.getByRole('dialog', { name: "Restore into the users' shares?" });
    await dialog.getByText(/are put back as they were on .* files made since are left in place and listed/).waitFor();
    await dialog.getByRole('button', { name: 'Start restore' }).click();
    await adminPage.locator('[data-testid="restore-job"][data-status="success"]').first().waitFor({ timeout: 60_000 });

    const report = adminPage.getByTestId('as-of-report');
    await report.getByText(`(${beforeDamage.toISOString().slice(0, 10)} ${beforeDamage.toISOString().slice(11, 19)} UTC)`).waitFor();
    await report.getByText('1 file made after that time was left in place', { exact: false }).waitFor();
    assert.deepEqual(await report.getByRole('list', { name: 'Files left in place' }).getByRole('listitem').allTextContents(), [`alice/backup/${ransomNote}`]);
    await screenshotBoth(adminPage, '63-admin-restore-as-of');

    for (const [relPath, bytes] of Object.entries(original)) {
      assert.ok((await readFile(path.join(aliceShare, relPath))).equals(bytes), `${relPath} as it was before the damage`);
    }
    assert.equal(await readFile(path.join(aliceShare, ransomNote), 'utf8'), 'send bitcoin\n', 'a file made after the time is left in place');
    const jobs = (await a.admin.get('/api/admin/restore')).body.jobs as { at: string | null; status: string }[];
    assert.deepEqual(
      jobs.map((job) => [job.at, job.status]),
      [[beforeDamage.toISOString(), 'success']],
      'the server got the instant typed in New York time',
    );
    await adminPage.getByRole('region', { name: 'Recent restores' }).getByText(/, as of /).waitFor();
  });

  it('says plainly when the peer keeps no snapshot that old, and restores nothing', async () => {
    const longAgo = new Date(Date.now() - 3 * 24 * 60 * 60 * 1000);
    longAgo.setMilliseconds(0);
    await adminPage.getByLabel('As of').fill(wallClock(longAgo, ADMIN_ZONE));
    await adminPage.getByRole('button', { name: 'Start restore' }).click();
    await adminPage.getByRole('dialog', { name: "Restore into the users' shares?" }).getByRole('button', { name: 'Start restore' }).click();
    await adminPage.locator('[data-testid="restore-job"][data-status="failure"]').first().waitFor({ timeout: 60_000 });
    const notice = adminPage.getByTestId('as-of-report').getByRole('status');
    await notice.getByText('1 share not restored: the peer keeps no snapshot that old').waitFor();
    await notice.getByText(/server-b keeps no snapshot of alice\/backup from .* or earlier \(the oldest is from .*\); nothing was restored into it\./).waitFor();
    await notice.getByText('Choose a later time', { exact: false }).waitFor();
    await screenshotBoth(adminPage, '64-admin-restore-no-snapshot');
    assert.equal(await readFile(path.join(aliceShare, ransomNote), 'utf8'), 'send bitcoin\n');
  });

  it('logs nothing red in the console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
