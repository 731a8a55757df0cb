import assert from 'node:assert/strict';
import { makeSourceIdentity, PeerTlsClient } from './peer-tls-client.js';
import { type ApiClient, setUpServer, type TestServer } from './test-server.js';

/**
 * Sets `test` up, accepting incoming syncs with `password`, and signs a
 * source in to it: `sourceName` with a certificate of its own.
 */
export async function acceptingSource(test: TestServer, sourceName: string, password: string): Promise<{ admin: ApiClient; source: PeerTlsClient }> {
  const { admin } = await setUpServer(test);
  await admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password });
  const source = new PeerTlsClient(test.url, { ca: test.server.identity.certPem, identity: await makeSourceIdentity() });
  assert.equal((await source.openSession(sourceName, password)).status, 200);
  return { admin, source };
}
