import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type ClusterServer, createUser, startNamedServer, writeFiles } from '../helpers/sync-cluster.js';
import { downloadedBytes, launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('Files page: upload folders and files into your shares, resumable, and download them', () => {
  let server: ClusterServer;
  let browser: Browser;
  let page: Page;
  let picked: string;
  let backupOfAlice: string;
  const consoleProblems: string[] = [];
  const photo = randomBytes(2 * 1024 * 1024 + 333);

  before(async () => {
    await ensureWebBuilt();
    [server, browser] = await Promise.all([startNamedServer('server-a'), launchChromium()]);
    await createUser(server, 'alice');
    backupOfAlice = path.join(server.test.dataDir, 'shares', 'alice', 'backup');
    // a folder on the person's computer, as the folder picker would give it
    picked = await mkdtemp(path.join(os.tmpdir(), 'anemone-picked-'));
    await writeFiles(path.join(picked, 'Holiday'), {
      'notes.txt': 'sun and sea\n',
      'day 1/beach.jpg': photo,
      'day 1/été.txt': 'accents survive\n',
      'day 1/empty.txt': '',
      '.DS_Store': 'hidden',
    });
    page = await (await openContext(browser, server.test.url)).newPage();
    watchConsole(page, consoleProblems);
    await signIn(page, 'alice', 'alice password');
    await openFromMenu(page, 'Files');
  });
  after(async () => {
    await browser?.close();
    await server?.test.stop();
    await rm(picked, { recursive: true, force: true });
  });

  it('shows the empty backup share with its upload buttons', async () => {
    await page.getByText('This folder is empty.').waitFor();
    await page.getByRole('button', { name: 'Upload files' }).waitFor();
    await page.getByRole('button', { name: 'Upload folder' }).waitFor();
    await screenshotBoth(page, '60-files-empty');
  });

  it('uploads a folder chosen with "Upload folder", keeping its sub-folders, leaving hidden files out', async () => {
    await page.getByLabel('Choose a folder to upload').setInputFiles(path.join(picked, 'Holiday'));
    const uploads = page.getByRole('region', { name: 'Uploads' });
    await uploads.getByText('Uploaded', { exact: false }).first().waitFor();
    await page.getByText('1 hidden file (names starting with “.”) left out').waitFor();
    await uploads.getByRole('button', { name: 'Clear the list' }).waitFor({ timeout: 60_000 });
    assert.equal(await uploads.getByText(/^Uploaded/).count(), 4);

    assert.equal(sha256(await readFile(path.join(backupOfAlice, 'Holiday', 'day 1', 'beach.jpg'))), sha256(photo));
    assert.equal(await readFile(path.join(backupOfAlice, 'Holiday', 'day 1', 'été.txt'), 'utf8'), 'accents survive\n');
    assert.equal((await readFile(path.join(backupOfAlice, 'Holiday', 'day 1', 'empty.txt'))).length, 0);
    assert.deepEqual((await readdir(path.join(backupOfAlice, 'Holiday'))).sort(), ['day 1', 'notes.txt']);
    await page.getByRole('button', { name: 'Holiday', exact: true }).waitFor();
    await screenshotBoth(page, '61-files-folder-uploaded');
  });

  it('opens the folder and downloads a file byte for byte', async () => {
    await page.getByRole('button', { name: 'Holiday', exact: true }).click();
    await page.getByRole('button', { name: 'day 1', exact: true }).click();
    await page.getByRole('link', { name: 'Download beach.jpg' }).waitFor();
    const download = await downloadedBytes(page, () => page.getByRole('link', { name: 'Download beach.jpg' }).click());
    assert.equal(download.name, 'beach.jpg');
    assert.equal(sha256(download.bytes), sha256(photo));
    await screenshotBoth(page, '62-files-subfolder');
  });

  it('keeps both when a file of the same name is uploaded again, and says where the new one went', async () => {
    await page.getByLabel('Choose files to upload').setInputFiles(path.join(picked, 'Holiday', 'day 1', 'été.txt'));
    const uploads = page.getByRole('region', { name: 'Uploads' });
    await uploads.getByText('Saved as Holiday/day 1/été (1).txt: a file of that name was already there').waitFor();
    assert.equal(await readFile(path.join(backupOfAlice, 'Holiday', 'day 1', 'été (1).txt'), 'utf8'), 'accents survive\n');
    await page.getByRole('link', { name: 'Download été (1).txt' }).waitFor();
  });

  it('deletes a file after asking, saying what that means for the peers', async () => {
    await page.getByRole('button', { name: 'Delete été (1).txt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this file?' });
    await dialog.getByText('The next sync deletes it on the peers too').waitFor();
    await screenshotBoth(page, '65-files-delete');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('link', { name: 'Download été (1).txt' }).waitFor({ state: 'detached' });
    assert.ok(!(await readdir(path.join(backupOfAlice, 'Holiday', 'day 1'))).includes('été (1).txt'));
  });

  it('uploads what is dropped on the list', async () => {
    await page.getByRole('tab', { name: 'data' }).click();
    await page.getByText('This folder is empty.').waitFor();
    // built in the page (the DOM's DataTransfer and File), as a drag from the desktop would carry them
    const dataTransfer = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['dropped one\\n'], 'dropped.txt', { type: 'text/plain' }));
      transfer.items.add(new File(['dropped two\\n'], 'second.txt', { type: 'text/plain' }));
      return transfer;
    })()`);
    await page.dispatchEvent('[data-testid="drop-zone"]', 'dragover', { dataTransfer });
    await page.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer });
    await page.getByRole('link', { name: 'Download second.txt' }).waitFor();
    await page.getByRole('link', { name: 'Download dropped.txt' }).waitFor();
    const dataOfAlice = path.join(server.test.dataDir, 'shares', 'alice', 'data');
    assert.equal(await readFile(path.join(dataOfAlice, 'dropped.txt'), 'utf8'), 'dropped one\n');
    assert.equal(await readFile(path.join(dataOfAlice, 'second.txt'), 'utf8'), 'dropped two\n');
  });

  it('makes the empty folders of a dropped folder, nested ones included, beside its files', async () => {
    await page.getByRole('tab', { name: 'data' }).click();
    await page.getByRole('link', { name: 'Download dropped.txt' }).waitFor();
    // a drop from the desktop hands over entries (webkitGetAsEntry); a page cannot make a directory entry,
    // so the drop carries stand-ins with the same API: Trip/photos/a.txt, Trip/empty one/deeper/, Trip/only hidden/.DS_Store
    const dataTransfer = await page.evaluateHandle(`(() => {
      const fileEntry = (name, text) => ({ isFile: true, isDirectory: false, name, file: (done) => done(new File([text], name)) });
      const folderEntry = (name, children) => ({
        isFile: false, isDirectory: true, name,
        createReader: () => { let handedOut = false; return { readEntries: (done) => { done(handedOut ? [] : children); handedOut = true; } }; },
      });
      const trip = folderEntry('Trip', [
        folderEntry('photos', [fileEntry('a.txt', 'in a folder\\n')]),
        folderEntry('empty one', [folderEntry('deeper', [])]),
        folderEntry('only hidden', [fileEntry('.DS_Store', 'hidden')]),
      ]);
      const transfer = new DataTransfer();
      // a real file item, so the drop's types say Files as a desktop drag's do
      transfer.items.add(new File(['unused'], 'Trip'));
      Object.defineProperty(transfer, 'items', { value: [{ kind: 'file', webkitGetAsEntry: () => trip }] });
      return transfer;
    })()`);
    await page.dispatchEvent('[data-testid="drop-zone"]', 'dragover', { dataTransfer });
    await page.dispatchEvent('[data-testid="drop-zone"]', 'drop', { dataTransfer });
    await page.getByRole('button', { name: 'Trip', exact: true }).waitFor();
    const trip = path.join(server.test.dataDir, 'shares', 'alice', 'data', 'Trip');
    for (let waited = 0; !(await readdir(trip).catch((): string[] => [])).includes('photos') && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await readFile(path.join(trip, 'photos', 'a.txt'), 'utf8'), 'in a folder\n');
    assert.deepEqual((await readdir(trip)).sort(), ['empty one', 'only hidden', 'photos']);
    assert.deepEqual(await readdir(path.join(trip, 'empty one')), ['deeper']);
    assert.deepEqual(await readdir(path.join(trip, 'empty one', 'deeper')), []);
    assert.deepEqual(await readdir(path.join(trip, 'only hidden')), [], 'the hidden file was left out, its folder made');
    await page.getByRole('button', { name: 'Trip', exact: true }).click();
    await page.getByRole('button', { name: 'empty one', exact: true }).click();
    await page.getByRole('button', { name: 'deeper', exact: true }).waitFor();
    // back to the share's root, where the next tests upload
    await page.getByRole('tab', { name: 'data' }).click();
    await page.getByRole('link', { name: 'Download dropped.txt' }).waitFor();
  });

  it('cancels an upload under way: nothing lands in the share and nothing stays staged', async () => {
    const big = path.join(picked, 'big.bin');
    await writeFiles(picked, { 'big.bin': randomBytes(24 * 1024 * 1024) });
    // a slow home uplink, so the upload is still under way when Cancel is pressed
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 2 * 1024 * 1024 });
    await page.getByLabel('Choose files to upload').setInputFiles(big);
    const uploads = page.getByRole('region', { name: 'Uploads' });
    await uploads.getByRole('progressbar', { name: 'Upload of big.bin' }).waitFor();
    await screenshotBoth(page, '63-files-uploading');
    await uploads.getByRole('button', { name: 'Cancel big.bin' }).click();
    await uploads.getByText(/^Cancelled/).waitFor();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const staging = path.join(server.test.dataDir, 'uploads');
    for (let waited = 0; (await readdir(staging)).length > 0 && waited < 5_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(await readdir(staging), [], 'the cancelled upload was ended on the server too');
    assert.ok(!(await readdir(path.join(server.test.dataDir, 'shares', 'alice', 'data'))).includes('big.bin'));
    await screenshotBoth(page, '64-files-cancelled');
  });

  it('resumes a large upload after the page was reloaded mid-way, when the same file is chosen again', async () => {
    const content = randomBytes(20 * 1024 * 1024);
    const local = path.join(picked, 'resume.bin');
    await writeFiles(picked, { 'resume.bin': content });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
    await page.getByLabel('Choose files to upload').setInputFiles(local);
    const uploads = page.getByRole('region', { name: 'Uploads' });
    await uploads.getByText(/^Uploading [3-9][0-9] %/).waitFor();
    await page.reload();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    const sent: { method: string; offset: string | undefined }[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/files/uploads')) sent.push({ method: request.method(), offset: request.headers()['upload-offset'] });
    });
    await page.getByRole('tab', { name: 'data' }).click();
    await page.getByLabel('Choose files to upload').setInputFiles(local);
    await page.getByRole('region', { name: 'Uploads' }).getByText(/^Uploaded/).waitFor({ timeout: 60_000 });
    assert.equal(sent[0]?.method, 'HEAD', 'the browser asked where the upload stood');
    assert.ok(!sent.some((request) => request.method === 'POST'), 'no new upload was started');
    const firstPatch = sent.find((request) => request.method === 'PATCH');
    assert.ok(Number(firstPatch?.offset) > 0, `resumed from the server's offset (${firstPatch?.offset}), not from 0`);
    const stored = await readFile(path.join(server.test.dataDir, 'shares', 'alice', 'data', 'resume.bin'));
    assert.equal(sha256(stored), sha256(content));
  });

  it('showed no error in the browser console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
