import { setTimeout as delay } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import type { ApiClient } from './test-server.js';

/** The response of a download, as bytes (ApiClient reads every body as text). */
export interface Download {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

/**
 * Downloads the recovery kit as an administrator would: signs in with the
 * password, then POST /api/admin/recovery-kit, keeping the body's bytes.
 */
export async function downloadKit(server: { url: string; certPem: string }, admin: { username: string; password: string }, passphrase: string): Promise<Download> {
  const agent = new Agent({ connect: { ca: server.certPem } });
  try {
    const login = await fetch(new URL('/api/auth/login', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(admin),
      dispatcher: agent,
    });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const cookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const response = await fetch(new URL('/api/admin/recovery-kit', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ passphrase }),
      dispatcher: agent,
    });
    return { status: response.status, headers: response.headers as unknown as Headers, bytes: Buffer.from(await response.arrayBuffer()) };
  } finally {
    await agent.close();
  }
}

/** Pushes the kit to the peers now and returns the status once every copy is stored. */
export async function pushKit(admin: ApiClient, timeoutMs = 30_000): Promise<{ peers: { peerName: string; ok: boolean; pushedAt: string | null; error: string | null }[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await admin.post('/api/admin/recovery-kit/push');
    if (status.status !== 200) throw new Error(`push failed: ${status.status} ${JSON.stringify(status.body)}`);
    if (status.body.peers.every((peer: { ok: boolean }) => peer.ok)) return status.body;
    if (Date.now() > deadline) throw new Error(`kit copies not stored: ${JSON.stringify(status.body)}`);
    await delay(200);
  }
}
