import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { ADMIN, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';
import { launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

describe('API tokens on the Settings page', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let consoleProblems: string[];
  let secret: string;

  const scrape = (token: string) => server.client().request<string>('GET', '/metrics', undefined, { authorization: `Bearer ${token}` });
  const tokenCard = () => page.getByRole('region', { name: 'API tokens' });

  before(async () => {
    await ensureWebBuilt();
    [server, browser] = await Promise.all([startTestServer(), launchChromium()]);
    await setUpServer(server);
    page = await (await openContext(browser, server.url)).newPage();
    consoleProblems = watchConsole(page);
    await signIn(page, ADMIN.username, ADMIN.password);
    await openFromMenu(page, 'Settings');
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('checks the name before sending, then shows a new token once, with a copy button, and the token opens /metrics', async () => {
    await tokenCard().getByRole('button', { name: 'Create token' }).click();
    await tokenCard().getByText('Give the token a name').waitFor();
    assert.equal(await tokenCard().getByLabel('Name').getAttribute('aria-invalid'), 'true');

    await tokenCard().getByLabel('Name').fill('prometheus');
    assert.equal(await tokenCard().getByLabel('Scope').inputValue(), 'metrics');
    await tokenCard().getByRole('button', { name: 'Create token' }).click();
    secret = ((await page.getByTestId('api-token-secret').textContent()) ?? '').trim();
    assert.match(secret, /^anm_[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Copy token' }).waitFor();
    await tokenCard().getByRole('cell', { name: 'prometheus', exact: true }).waitFor();
    await screenshotBoth(page, '40-settings-api-tokens');

    const scraped = await scrape(secret);
    assert.equal(scraped.status, 200);
    assert.ok(parsePrometheusText(scraped.body).types.has('anemone_sync_runs_total'));
  });

  it('no longer shows the secret once closed, nor after a reload: the list has names only', async () => {
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByTestId('api-token-secret').count(), 0);
    await page.reload();
    await tokenCard().getByRole('cell', { name: 'prometheus', exact: true }).waitFor();
    assert.ok(!(await page.content()).includes(secret.slice(4)));
  });

  it('says next to the name when it is taken', async () => {
    await tokenCard().getByLabel('Name').fill('prometheus');
    await tokenCard().getByRole('button', { name: 'Create token' }).click();
    await tokenCard().getByText('An API token named "prometheus" already exists').waitFor();
  });

  it('revokes a token after asking, and the token no longer opens /metrics', async () => {
    await tokenCard().getByRole('button', { name: 'Revoke prometheus' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await tokenCard().getByText('No API token yet.').waitFor();
    assert.equal((await scrape(secret)).status, 401);
    assert.deepEqual(consoleProblems, []);
  });
});
