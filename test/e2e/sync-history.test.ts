import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type ClusterServer, createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';
import { downloadedBytes, launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

const PASSWORD_OF_B = 'password of b';
/** Runs that change nothing, beyond the first few: enough for a second page of the unfolded log (20 a page). */
const QUIET_RUNS = 18;

/**
 * WCAG contrast of an element's text against the first opaque background behind it, computed in the page
 * (a string: the test runner's transpiler would add helpers a page function cannot see).
 */
async function textContrast(page: Page, selector: string): Promise<number> {
  return page.evaluate(`(() => {
    const canvas = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    const rgba = (color) => {
      canvas.clearRect(0, 0, 1, 1);
      canvas.fillStyle = color;
      canvas.fillRect(0, 0, 1, 1);
      return [...canvas.getImageData(0, 0, 1, 1).data];
    };
    const channel = (value) => (value / 255 <= 0.03928 ? value / 255 / 12.92 : ((value / 255 + 0.055) / 1.055) ** 2.4);
    const luminance = ([red, green, blue]) => 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue);
    const element = document.querySelector(${JSON.stringify(selector)});
    if (!element) throw new Error('nothing matches ' + ${JSON.stringify(selector)});
    let behind = element;
    let background = [0, 0, 0, 0];
    while (behind && background[3] === 0) {
      background = rgba(getComputedStyle(behind).backgroundColor);
      behind = behind.parentElement;
    }
    const [lighter, darker] = [luminance(rgba(getComputedStyle(element).color)), luminance(background)].sort((x, y) => y - x);
    return (lighter + 0.05) / (darker + 0.05);
  })()`);
}

/** The sync log's history, a run's files, the overview's charts and dark mode, in Chromium between two servers. */
describe('sync history, charts and dark mode in the browser', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let alice: { client: ApiClient; backupShareId: number };
  const consoleProblems: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    [a, b, browser] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: PASSWORD_OF_B }), launchChromium()]);
    alice = await createUser(a, 'alice');
    const bob = await createUser(a, 'bob');
    await pairPeer(a, b, PASSWORD_OF_B);
    const share = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await writeFiles(share, { 'a.txt': 'alpha', 'docs/b.txt': 'bravo!' });
    await syncAndWait(alice.client, a.admin, alice.backupShareId);
    for (let index = 0; index < QUIET_RUNS; index += 1) await syncAndWait(alice.client, a.admin, alice.backupShareId);
    await rm(path.join(share, 'a.txt'));
    await writeFiles(share, { 'c.txt': 'charlie' });
    await syncAndWait(alice.client, a.admin, alice.backupShareId);
    await writeFiles(path.join(a.test.dataDir, 'shares', 'bob', 'backup'), { 'bob.txt': 'bob' });
    await syncAndWait(bob.client, a.admin, bob.backupShareId);
    context = await openContext(browser, a.test.url);
    page = await context.newPage();
    watchConsole(page, consoleProblems);
    await signIn(page, 'admin', 'server-a admin password');
  });
  after(async () => {
    await browser?.close();
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('folds the quiet runs, filters by user, and pages through every run', async () => {
    await openFromMenu(page, 'Synchronization');
    const log = page.getByRole('region', { name: 'Sync logs' });
    const pages = log.getByRole('navigation', { name: 'Pages' });
    // folded by default: alice's two runs that changed something, her quiet ones in one line, bob's run
    await pages.getByText('1–4 of 4').waitFor();
    await log.getByText(`${QUIET_RUNS} runs, nothing changed`).waitFor();

    await log.getByLabel('User').selectOption('bob');
    await pages.getByText('1–1 of 1').waitFor();
    assert.deepEqual((await log.locator('tbody tr').allInnerTexts()).map((row) => row.includes('bob/backup')), [true]);
    await log.getByLabel('User').selectOption('');

    await log.getByLabel('Fold runs that changed nothing').uncheck();
    const total = QUIET_RUNS + 3;
    await pages.getByText(`1–20 of ${total}`).waitFor();
    assert.equal(await pages.getByRole('button', { name: 'Newer' }).isDisabled(), true);
    await pages.getByRole('button', { name: 'Older' }).click();
    await pages.getByText(`21–${total} of ${total}`).waitFor();
    assert.equal(await pages.getByRole('button', { name: 'Older' }).isDisabled(), true);
    await screenshotBoth(page, '90-sync-log-paged');
    await pages.getByRole('button', { name: 'Newer' }).click();
    await log.getByLabel('Fold runs that changed nothing').check();
    await pages.getByText('1–4 of 4').waitFor();
  });

  it("opens a run to see what it sent and deleted, and downloads its list", async () => {
    const log = page.getByRole('region', { name: 'Sync logs' });
    await log.getByLabel('User').selectOption('alice');
    await log.getByRole('navigation', { name: 'Pages' }).getByText('1–3 of 3').waitFor();
    // the newest run: c.txt sent, a.txt deleted
    await log.getByRole('button', { name: 'Files of the run of alice/backup to server-b' }).first().click();
    const files = page.getByRole('region', { name: 'Files of the run of alice/backup to server-b' });
    await files.getByText('c.txt').waitFor();
    const rows = (await files.getByRole('row').allInnerTexts()).slice(1).map((row) => row.replace(/\s+/g, ' ').trim());
    assert.deepEqual(rows, ['Sent c.txt 7 bytes', 'Deleted a.txt —']);
    const csv = await downloadedBytes(page, () => files.getByRole('link', { name: 'Download the list (CSV)' }).click());
    assert.match(csv.name, /^sync-run-\d+\.csv$/);
    assert.equal(csv.bytes.toString(), 'action,path,bytes,reason\r\n"sent","c.txt","7",""\r\n"deleted","a.txt","",""\r\n');
    await screenshotBoth(page, '91-sync-run-files');

    // the first run, the oldest line
    await log.getByRole('button', { name: 'Files of the run of alice/backup to server-b' }).last().click();
    await files.getByText('docs/b.txt').waitFor();
    assert.deepEqual(
      (await files.getByRole('row').allInnerTexts()).slice(1).map((row) => row.replace(/\s+/g, ' ').trim()),
      ['Sent a.txt 5 bytes', 'Sent docs/b.txt 6 bytes'],
    );
    await files.getByRole('button', { name: 'Close' }).click();
    await files.waitFor({ state: 'detached' });
  });

  it('draws the history charts with their numbers beside them, and the free space', async () => {
    await openFromMenu(page, 'Overview');
    const history = page.getByRole('region', { name: 'History' });
    const sizes = history.getByRole('figure', { name: 'Size of each share' });
    const sent = history.getByRole('figure', { name: 'Bytes sent per day' });
    await sizes.locator('canvas').waitFor();
    await sent.locator('canvas').waitFor();
    // Chart.js drew something: the canvas is no longer blank (it draws on an animation frame after the canvas appears)
    const drawn = await page
      .waitForFunction(
        `(() => {
          const canvas = document.querySelector('figure[aria-labelledby="chart-share-sizes"] canvas');
          const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          return pixels.some((value, index) => index % 4 === 3 && value > 0);
        })()`,
        undefined,
        { timeout: 10_000 },
      )
      .then(
        () => true,
        () => false,
      );
    assert.ok(drawn, 'the size chart has pixels');
    const today = new Date().toISOString().slice(0, 10);
    assert.match((await sizes.locator('canvas').getAttribute('aria-label')) ?? '', new RegExp(`alice/backup 13 bytes on ${today}; bob/backup 3 bytes on ${today}`));
    const sizeRows = (await sizes.getByRole('table', { name: 'Share sizes by day', includeHidden: true }).locator('tbody tr').allTextContents()).map((row) => row.trim());
    assert.deepEqual(sizeRows, [`${today}alice/backup213 bytes`, `${today}bob/backup13 bytes`]);
    const sentRows = await sent.getByRole('table', { name: 'Bytes sent by day', includeHidden: true }).locator('tbody tr').allTextContents();
    assert.equal(sentRows.length, 1);
    assert.match(sentRows[0] ?? '', new RegExp(`^${today}${QUIET_RUNS + 3}\\d`));

    const room = page.getByRole('region', { name: 'Disk space' });
    await room.getByText("Users' shares").waitFor();
    assert.equal(await room.getByText(/free of/).count(), 2);
    await room.getByText('No peer stores backups here.').waitFor();
    await screenshotBoth(page, '92-overview-history');
    assert.deepEqual(consoleProblems, []);
  });

  it("shows on a peer's overview what it stores for others against their quota", async () => {
    assert.equal((await b.admin.request('PATCH', '/api/admin/incoming/server-a', { maxBytes: 1024 * 1024 })).status, 200);
    const peerPage = await (await openContext(browser, b.test.url)).newPage();
    await signIn(peerPage, 'admin', 'server-b admin password');
    const room = peerPage.getByRole('region', { name: 'Disk space' });
    const stored = room.getByRole('list', { name: 'Stored for peers' });
    await stored.getByText('server-a').waitFor();
    await stored.getByText(/ of 1\.0 MiB quota$/).waitFor();
    const used = Number(await stored.getByRole('meter', { name: 'server-a: quota used' }).getAttribute('aria-valuenow'));
    assert.ok(used >= 0 && used <= 1, `a few hundred bytes of a MiB: ${used} %`);
    await screenshotBoth(peerPage, '92-peer-overview-stored-for-others');
    await peerPage.context().close();
  });

  it("shows a user their own shares' history on My backup", async () => {
    const alicePage = await (await openContext(browser, a.test.url)).newPage();
    await signIn(alicePage, 'alice', 'alice password');
    const history = alicePage.getByRole('region', { name: 'History' });
    await history.getByRole('figure', { name: 'Size of each share' }).locator('canvas').waitFor();
    const rows = await history.getByRole('table', { name: 'Share sizes by day', includeHidden: true }).locator('tbody tr').allTextContents();
    assert.deepEqual(
      rows.map((row) => row.includes('alice/backup')),
      [true],
    );
    await alicePage.context().close();
  });

  it('follows the system in dark, and keeps a choice of light or dark across pages', async () => {
    const dark = await openContext(browser, a.test.url);
    const darkPage = await dark.newPage();
    await darkPage.emulateMedia({ colorScheme: 'dark' });
    const problems = watchConsole(darkPage);
    await signIn(darkPage, 'admin', 'server-a admin password');
    // the radio buttons are drawn as a segmented control: a person clicks the word
    const choose = async (label: 'System' | 'Light' | 'Dark') => {
      await darkPage.getByRole('group', { name: 'Appearance' }).getByText(label, { exact: true }).click();
      assert.equal(await darkPage.getByRole('radio', { name: label }).isChecked(), true);
    };
    const isDark = () => darkPage.evaluate("document.documentElement.classList.contains('dark')");
    assert.equal(await isDark(), true, 'dark from the system setting');
    assert.equal(await darkPage.evaluate('getComputedStyle(document.documentElement).colorScheme'), 'dark');
    // readable: body text, secondary text and the primary button pass WCAG AA
    assert.ok((await textContrast(darkPage, 'main h1')) >= 4.5);
    assert.ok((await textContrast(darkPage, 'main header p')) >= 4.5);

    await choose('Light');
    assert.equal(await isDark(), false);
    assert.equal(await darkPage.evaluate("localStorage.getItem('anemone-theme')"), 'light');
    // applied before the first paint on the next load: the class is there before the app's code runs
    await darkPage.addInitScript(
      "document.addEventListener('DOMContentLoaded', () => { window.darkAtFirstParse = document.documentElement.classList.contains('dark'); })",
    );
    await darkPage.reload();
    await darkPage.getByRole('heading', { level: 1 }).waitFor();
    assert.equal(await darkPage.evaluate('window.darkAtFirstParse'), false, 'light kept over the system');

    await choose('Dark');
    await darkPage.emulateMedia({ colorScheme: 'light' });
    await darkPage.reload();
    await darkPage.getByRole('heading', { level: 1 }).waitFor();
    assert.equal(await darkPage.evaluate('window.darkAtFirstParse'), true, 'dark kept over a light system, from the first parse');

    await choose('System');
    assert.equal(await isDark(), false, 'the system is light now');
    await darkPage.emulateMedia({ colorScheme: 'dark' });
    await darkPage.waitForFunction("document.documentElement.classList.contains('dark')");
    assert.equal(await darkPage.evaluate("localStorage.getItem('anemone-theme')"), null);
    assert.deepEqual(problems, []);
    await dark.close();
  });

  it('looks right in dark mode: screenshots of the main pages at desktop and phone width', async () => {
    const dark = await openContext(browser, a.test.url);
    const darkPage = await dark.newPage();
    await darkPage.emulateMedia({ colorScheme: 'dark' });
    await signIn(darkPage, 'admin', 'server-a admin password');
    await darkPage.getByRole('figure', { name: 'Size of each share' }).locator('canvas').waitFor();
    await darkPage.waitForTimeout(300);
    await screenshotBoth(darkPage, '93-dark-overview');
    for (const [label, name] of [
      ['Synchronization', '94-dark-sync'],
      ['Peers', '95-dark-peers'],
      ['Users', '96-dark-users'],
      ['Incoming backups', '97-dark-incoming'],
      ['My backup', '98-dark-my-backup'],
    ] as const) {
      await openFromMenu(darkPage, label);
      await darkPage.waitForTimeout(300);
      await screenshotBoth(darkPage, name);
    }
    assert.ok((await textContrast(darkPage, 'main h1')) >= 4.5);
    await dark.close();
  });
});
