import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText } from '../../test/helpers/prometheus-text.js';
import type { PeerView } from '../peers/peer-service.js';
import { ServerMetrics, type MetricsSources } from './metrics.js';

function metricsWith(overrides: { peers?: Partial<PeerView>[]; pairs?: { username: string; shareName: string; peerName: string; finishedAt: string }[] } = {}) {
  const sources: MetricsSources = {
    repos: {
      syncLogs: { endedRunsByStatus: () => new Map([['success', 4]]) },
      lastSync: { lastSuccessOfEachPair: () => overrides.pairs ?? [] },
    } as unknown as MetricsSources['repos'],
    peers: { list: () => (overrides.peers ?? []) as PeerView[] },
    incoming: { overview: () => ({ sources: [{ name: 'server-a', fileCount: 3, bytesUsed: 1234, lastReceivedAt: null }] }) },
    runningSyncs: () => 2,
    version: '1.2.3',
  };
  return new ServerMetrics(sources);
}

describe('ServerMetrics', () => {
  it('gives every ended status a runs counter, 0 for those that never happened', async () => {
    const text = parsePrometheusText(await metricsWith().exposition());
    assert.equal(text.value('anemone_sync_runs_total', { status: 'success' }), 4);
    assert.equal(text.value('anemone_sync_runs_total', { status: 'failure' }), 0);
    assert.equal(text.value('anemone_sync_runs_total', { status: 'interrupted' }), 0);
    assert.equal(text.value('anemone_sync_running'), 2);
    assert.equal(text.value('anemone_build_info', { version: '1.2.3' }), 1);
  });

  it('keeps names with quotes and backslashes intact in label values', async () => {
    const pairs = [{ username: 'alice', shareName: 'backup', peerName: 'the "old" box\\2', finishedAt: '2026-01-02T03:04:05.000Z' }];
    const text = parsePrometheusText(await metricsWith({ pairs }).exposition());
    assert.equal(text.value('anemone_last_success_timestamp_seconds', { user: 'alice', share: 'backup', peer: 'the "old" box\\2' }), Date.parse('2026-01-02T03:04:05.000Z') / 1000);
  });

  it('shows enabled peers only, a peer never contacted as down with the status unknown', async () => {
    const peers = [
      { name: 'fresh', enabled: true, status: null, lastContactAt: null },
      { name: 'switched-off', enabled: false, status: 'online' as const, lastContactAt: '2026-01-01T00:00:00.000Z' },
    ];
    const text = parsePrometheusText(await metricsWith({ peers }).exposition());
    assert.equal(text.value('anemone_peer_up', { peer: 'fresh' }), 0);
    assert.equal(text.value('anemone_peer_status', { peer: 'fresh', status: 'unknown' }), 1);
    assert.equal(text.samples.filter((sample) => sample.name === 'anemone_peer_status' && sample.value === 1).length, 1);
    assert.equal(text.value('anemone_peer_last_contact_timestamp_seconds', { peer: 'fresh' }), undefined);
    assert.ok(!text.samples.some((sample) => sample.labels.peer === 'switched-off'));
  });

  it('adds what the sync engine reports sent, and observes run durations', async () => {
    const metrics = metricsWith();
    metrics.sent('server-b', { files: 2, bytes: 100 });
    metrics.sent('server-b', { files: 0, bytes: 50 });
    metrics.ended({ peerName: 'server-b', status: 'failure', durationSeconds: 42 });
    const text = parsePrometheusText(await metrics.exposition());
    assert.equal(text.value('anemone_sync_files_sent_total', { peer: 'server-b' }), 2);
    assert.equal(text.value('anemone_sync_bytes_sent_total', { peer: 'server-b' }), 150);
    assert.equal(text.value('anemone_sync_duration_seconds_count', { status: 'failure' }), 1);
    assert.equal(text.value('anemone_sync_duration_seconds_sum', { status: 'failure' }), 42);
    assert.equal(text.value('anemone_sync_duration_seconds_bucket', { status: 'failure', le: '60' }), 1);
    assert.equal(text.value('anemone_sync_duration_seconds_bucket', { status: 'failure', le: '15' }), 0);
  });

  it('keeps two servers in one process apart: each has its own registry', async () => {
    const first = metricsWith();
    const second = metricsWith();
    first.sent('server-b', { files: 1, bytes: 1 });
    assert.equal(parsePrometheusText(await second.exposition()).value('anemone_sync_files_sent_total', { peer: 'server-b' }), undefined);
  });
});
