import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { METRICS_TOKEN_FAILURES } from '../../src/api/routes/metrics.js';
import { parsePrometheusText, type PrometheusText } from '../helpers/prometheus-text.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles, type ClusterServer, type SyncLog } from '../helpers/sync-cluster.js';
import type { ApiClient, ApiResponse } from '../helpers/test-server.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('Prometheus metrics behind API tokens, between two real servers', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let token: string;
  let tokenId: number;
  /** A client with no session: the way a scraper calls. */
  let scraper: ApiClient;

  const scrape = async (server: ClusterServer, secret: string, client = server === a ? scraper : server.test.client()): Promise<ApiResponse<string>> =>
    client.request<string>('GET', '/metrics', undefined, bearer(secret));
  const metricsOf = async (server: ClusterServer, secret: string): Promise<PrometheusText> => {
    const response = await scrape(server, secret);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return parsePrometheusText(response.body);
  };
  const lastSuccess = (metrics: PrometheusText) => metrics.value('anemone_last_success_timestamp_seconds', { user: 'alice', share: 'backup', peer: 'server-b' });
  const finishedAtSeconds = async (log: SyncLog) => {
    const listed = (await a.admin.get('/api/admin/sync/logs?limit=1000')).body.logs.find((row: { id: number }) => row.id === log.id);
    return Date.parse(listed.finishedAt) / 1000;
  };

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    alice = await createUser(a, 'alice');
    await pairPeer(a, b, 'password of b');
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'a.txt': 'alpha', 'photos/b.jpg': randomBytes(30_000) });
    const created = await a.admin.post('/api/admin/tokens', { name: 'prometheus', scope: 'metrics' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    token = created.body.token;
    tokenId = created.body.id;
    scraper = a.test.client();
  });
  after(async () => {
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('shows the token once: the list has its name, scope and dates, never the secret', async () => {
    assert.match(token, /^anm_[A-Za-z0-9_-]{43}$/);
    const listed = await a.admin.get('/api/admin/tokens');
    assert.equal(listed.status, 200);
    assert.deepEqual(Object.keys(listed.body.tokens[0]).sort(), ['createdAt', 'id', 'lastUsedAt', 'name', 'scope']);
    assert.equal(listed.body.tokens[0].name, 'prometheus');
    assert.equal(listed.body.tokens[0].scope, 'metrics');
    assert.ok(!JSON.stringify(listed.body).includes(token.slice(4)));
  });

  it('answers 401 with a Bearer challenge without a token, with a wrong one, and with only a session cookie', async () => {
    const without = await scraper.get('/metrics');
    assert.equal(without.status, 401);
    assert.equal(without.headers.get('www-authenticate'), 'Bearer realm="anemone"');
    assert.equal((without.body as unknown as { error: { code: string } }).error.code, 'API_TOKEN_INVALID');
    const wrong = await scrape(a, `anm_${randomBytes(32).toString('base64url')}`);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer realm="anemone", error="invalid_token"');
    // an administrator's browser session is not a scraper's credential
    assert.equal((await a.admin.get('/metrics')).status, 401);
  });

  it('does not let a metrics token call the admin API', async () => {
    for (const [method, url] of [
      ['GET', '/api/admin/tokens'],
      ['POST', '/api/admin/tokens'],
      ['GET', '/api/admin/sync/logs'],
    ] as const) {
      const response = await scraper.request(method, url, method === 'POST' ? { name: 'sneaky', scope: 'metrics' } : undefined, bearer(token));
      assert.equal(response.status, 401, `${method} ${url}`);
    }
  });

  it('answers valid Prometheus text with the token; before any sync the share has no last success', async () => {
    const response = await scrape(a, token);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const metrics = parsePrometheusText(response.body);
    assert.equal(metrics.types.get('anemone_last_success_timestamp_seconds'), 'gauge');
    assert.equal(metrics.types.get('anemone_sync_runs_total'), 'counter');
    assert.equal(metrics.types.get('anemone_sync_duration_seconds'), 'histogram');
    assert.equal(lastSuccess(metrics), undefined);
    assert.equal(metrics.value('anemone_sync_runs_total', { status: 'success' }), 0);
    // the dashboard's status, not a connection made for the scrape: none yet, since pinning the fingerprint changed the peer
    const dashboardStatus = (await a.admin.get('/api/dashboard')).body.peers[0].status ?? 'unknown';
    assert.equal(metrics.value('anemone_peer_status', { peer: 'server-b', status: dashboardStatus }), 1);
    assert.equal(metrics.value('anemone_peer_up', { peer: 'server-b' }), dashboardStatus === 'online' ? 1 : 0);
    const listed = (await a.admin.get('/api/admin/tokens')).body.tokens[0];
    assert.ok(listed.lastUsedAt, 'a scrape records when the token was last used');
  });

  it('moves the last-success gauge to the finish time of each successful sync, and counts what was sent', async () => {
    const [first] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(first?.status, 'success');
    const afterFirst = await metricsOf(a, token);
    assert.equal(lastSuccess(afterFirst), await finishedAtSeconds(first as SyncLog));
    assert.equal(afterFirst.value('anemone_sync_runs_total', { status: 'success' }), 1);
    assert.equal(afterFirst.value('anemone_sync_files_sent_total', { peer: 'server-b' }), 2);
    assert.equal(afterFirst.value('anemone_sync_bytes_sent_total', { peer: 'server-b' }), 'alpha'.length + 30_000);
    assert.equal(afterFirst.value('anemone_sync_duration_seconds_count', { status: 'success' }), 1);
    assert.equal(afterFirst.value('anemone_sync_running'), 0);
    assert.equal(afterFirst.value('anemone_peer_up', { peer: 'server-b' }), 1, 'the sync reached it');

    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'later.txt': 'written after the first sync' });
    const [second] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(second?.status, 'success');
    const afterSecond = await metricsOf(a, token);
    assert.equal(lastSuccess(afterSecond), await finishedAtSeconds(second as SyncLog));
    assert.ok((lastSuccess(afterSecond) as number) >= (lastSuccess(afterFirst) as number));
    assert.equal(afterSecond.value('anemone_sync_files_sent_total', { peer: 'server-b' }), 3);
  });

  it('shows on the peer what each source stores, as its Incoming page does', async () => {
    const created = await b.admin.post('/api/admin/tokens', { name: 'prometheus', scope: 'metrics' });
    const metrics = await metricsOf(b, created.body.token);
    const incoming = (await b.admin.get('/api/admin/incoming')).body;
    assert.equal(metrics.value('anemone_incoming_bytes', { source: 'server-a' }), incoming.bytesUsed);
    assert.equal(metrics.value('anemone_incoming_files', { source: 'server-a' }), incoming.fileCount);
    assert.equal(metrics.value('anemone_incoming_last_received_timestamp_seconds', { source: 'server-a' }), Date.parse(incoming.sources[0].lastReceivedAt) / 1000);
  });

  it('counts a failed run, and shows the peer down with why', async () => {
    await b.admin.request('PUT', '/api/admin/settings/sync', { password: 'another password' });
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'more.txt': 'more' });
    const [failed] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(failed?.status, 'failure');
    const metrics = await metricsOf(a, token);
    assert.equal(metrics.value('anemone_sync_runs_total', { status: 'failure' }), 1);
    assert.equal(metrics.value('anemone_peer_up', { peer: 'server-b' }), 0);
    assert.equal(metrics.value('anemone_peer_status', { peer: 'server-b', status: 'unauthorized' }), 1);
    assert.equal(metrics.value('anemone_peer_status', { peer: 'server-b', status: 'online' }), 0);
    await b.admin.request('PUT', '/api/admin/settings/sync', { password: 'password of b' });
  });

  it('refuses bad token requests: no admin, a bad name or scope, a name taken', async () => {
    assert.equal((await alice.client.post('/api/admin/tokens', { name: 'mine', scope: 'metrics' })).status, 403);
    assert.equal((await a.admin.post('/api/admin/tokens', { name: '', scope: 'metrics' })).status, 400);
    assert.equal((await a.admin.post('/api/admin/tokens', { name: 'x'.repeat(65), scope: 'metrics' })).status, 400);
    assert.equal((await a.admin.post('/api/admin/tokens', { name: 'admin-token', scope: 'admin' })).status, 400);
    const taken = await a.admin.post('/api/admin/tokens', { name: 'prometheus', scope: 'metrics' });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.code, 'API_TOKEN_NAME_TAKEN');
  });

  it('makes an address that keeps sending wrong tokens wait, even with a right one, and no other address', async () => {
    const guesser = scraper.from('127.0.0.2', a.test.server.identity.certPem);
    for (let attempt = 0; attempt < METRICS_TOKEN_FAILURES; attempt++) {
      assert.equal((await scrape(a, `anm_${randomBytes(32).toString('base64url')}`, guesser)).status, 401);
    }
    const refused = await scrape(a, token, guesser);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal((await scrape(a, token)).status, 200);
  });

  it('no longer opens /metrics once the token is revoked', async () => {
    assert.equal((await a.admin.delete(`/api/admin/tokens/${tokenId}`)).status, 204);
    assert.equal((await scrape(a, token)).status, 401);
    assert.deepEqual((await a.admin.get('/api/admin/tokens')).body.tokens, []);
    assert.equal((await a.admin.delete(`/api/admin/tokens/${tokenId}`)).status, 404);
  });
});
