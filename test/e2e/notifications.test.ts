import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startSmtpReceiver, startWebhookReceiver } from '../helpers/notification-receivers.js';
import { ADMIN, type ApiClient, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';
import { launchChromium, openContext, screenshotBoth, watchConsole } from './support/browser.js';
import { ensureWebBuilt } from './support/build-web.js';
import { openFromMenu, signIn } from './support/pages.js';

const SMTP = { username: 'anemone@home.test', password: 'smtp secret in the browser' };

describe('notifications on the Settings page', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let consoleProblems: string[];
  let hook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;

  before(async () => {
    await ensureWebBuilt();
    [server, browser, hook, smtp] = await Promise.all([startTestServer(), launchChromium(), startWebhookReceiver(), startSmtpReceiver(SMTP)]);
    ({ admin: api } = await setUpServer(server));
    page = await (await openContext(browser, server.url)).newPage();
    consoleProblems = watchConsole(page);
    await signIn(page, ADMIN.username, ADMIN.password);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await hook?.close();
    await smtp?.close();
  });

  it('fills the webhook and email, chooses the events, saves, and keeps the password write-only', async () => {
    await openFromMenu(page, 'Settings');
    const form = page.getByRole('form', { name: 'Notifications' });
    await form.getByLabel('Webhook URL').fill('ftp://nowhere');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByText('Give an http:// or https:// address').waitFor();

    await form.getByLabel('Webhook URL').fill(`${hook.origin}/anemone-topic`);
    await form.getByRole('switch', { name: 'Send email' }).check();
    await form.getByLabel('SMTP server').fill('127.0.0.1');
    await form.getByLabel('SMTP port').fill(String(smtp.port));
    await form.getByLabel('SMTP username').fill(SMTP.username);
    await form.getByLabel('SMTP password').fill(SMTP.password);
    await form.getByLabel('From').fill('anemone@home.test');
    await form.getByLabel('To').fill('admin@home.test, second@home.test');
    await form.getByLabel('A problem is over').uncheck();
    await form.getByLabel('Hours without a successful sync').fill('12');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByText('Saved.').waitFor();
    await screenshotBoth(page, 'settings-notifications');

    const stored = await api.get('/api/admin/settings/notifications');
    assert.deepEqual(stored.body, {
      webhookUrl: `${hook.origin}/anemone-topic`,
      email: { host: '127.0.0.1', port: smtp.port, secure: false, username: SMTP.username, from: 'anemone@home.test', to: 'admin@home.test, second@home.test', passwordSet: true },
      events: ['failure', 'held', 'stale'],
      staleAfterHours: 12,
    });

    await page.reload();
    const reloaded = page.getByRole('form', { name: 'Notifications' });
    await reloaded.getByLabel('New SMTP password').waitFor();
    assert.equal(await reloaded.getByLabel('New SMTP password').inputValue(), '', 'the password is never sent back to the page');
    assert.equal(await reloaded.getByLabel('A problem is over').isChecked(), false);
    assert.equal(await reloaded.getByLabel('Hours without a successful sync').inputValue(), '12');
  });

  it('sends a test and shows how each channel went', async () => {
    const form = page.getByRole('form', { name: 'Notifications' });
    await form.getByRole('button', { name: 'Send a test' }).click();
    const result = page.getByTestId('notification-test-result');
    await result.getByText('Webhook: delivered.').waitFor();
    await result.getByText('Email: delivered.').waitFor();
    assert.equal(hook.received.length, 1);
    assert.equal(hook.received[0]!.path, '/anemone-topic');
    assert.equal(hook.received[0]!.body.event, 'test');
    assert.equal(smtp.received.length, 1);
    assert.deepEqual(smtp.received[0]!.to, ['admin@home.test', 'second@home.test']);

    // a wrong password: the page says what the SMTP server answered and what to do
    await form.getByLabel('New SMTP password').fill('not the smtp password');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByText('Saved.').waitFor();
    await form.getByRole('button', { name: 'Send a test' }).click();
    await page.getByText('The test message did not get through everywhere').waitFor();
    await result.getByText(/^Email: The SMTP server 127\.0\.0\.1:\d+ refused the username or password/).waitFor();
    await screenshotBoth(page, 'settings-notifications-test');
    assert.deepEqual(consoleProblems, []);
  });
});
