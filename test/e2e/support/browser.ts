import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../helpers/cli.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, 'test', 'e2e', 'screenshots');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Debian's Chromium, headless; the servers' certificates are self-signed, so each context ignores HTTPS errors. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A fresh browser profile (its own cookies) on one server; in UTC unless a test needs a person elsewhere (`timezoneId`). */
export async function openContext(browser: Browser, baseURL: string, { timezoneId = 'UTC' }: { timezoneId?: string } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, ignoreHTTPSErrors: true, viewport: DESKTOP, acceptDownloads: true, locale: 'en-GB', timezoneId });
  // generous: the suite shares the machine with the rest of the tests
  context.setDefaultTimeout(30_000);
  return context;
}

/**
 * Collects what would show up red in the browser console: uncaught errors and
 * failed CSP checks, into `problems` (one list can watch several pages; copying
 * the list returned, as with `push(...)`, would miss everything after it).
 */
export function watchConsole(page: Page, problems: string[] = []): string[] {
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) problems.push(message.text());
  });
  return problems;
}

/** A page in a fresh browser profile on one server, its console problems collected into `problems`. */
export async function openWatchedPage(browser: Browser, baseURL: string, problems: string[]): Promise<Page> {
  const page = await (await openContext(browser, baseURL)).newPage();
  watchConsole(page, problems);
  return page;
}

/**
 * Saves `name-desktop.png` (1280×800) and `name-phone.png` (390×844) of the
 * whole page, for a person to look at; the page is left at desktop size.
 */
export async function screenshotBoth(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(viewport);
    // from the top, as a person opening the page sees it (a sticky side bar follows the scroll position)
    await page.evaluate('window.scrollTo(0, 0)');
    // let the layout settle (a transition, a reflow) before taking the picture
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${size}.png`), fullPage: true, animations: 'disabled' });
  }
  await page.setViewportSize(DESKTOP);
}

/** What a click downloads: the file name the browser suggests, and its bytes. */
export async function downloadedBytes(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
}
