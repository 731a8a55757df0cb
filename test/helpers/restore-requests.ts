import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { ApiClient } from './test-server.js';

/** Polls a restore job until it has ended; fails the test past `timeoutMs`. */
export async function waitForRestoreJob(client: ApiClient, url: string, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.get(url);
    assert.equal(job.status, 200, JSON.stringify(job.body));
    if (job.body.status !== 'running') return job.body;
    assert.ok(Date.now() < deadline, `${url} still running: ${JSON.stringify(job.body)}`);
    await delay(50);
  }
}

/** A request whose answer is read as bytes (a decrypted download, a ZIP), with the client's session. */
export async function fetchBytes(client: ApiClient, urlPath: string, options: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: Buffer }> {
  const internals = client as unknown as { cookie?: string; agent: unknown };
  const response = await fetch(new URL(urlPath, client.baseUrl), {
    method: options.method ?? 'GET',
    headers: { ...(internals.cookie ? { cookie: internals.cookie } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    // @ts-expect-error undici's dispatcher option of Node's fetch
    dispatcher: internals.agent,
  });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}
