import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Repositories } from '../db/index.js';
import type { PeerView } from '../peers/peer-service.js';
import type { PeerStatus } from '../peers/peer-status.js';
import type { SyncMeter } from '../sync/types.js';

/** Where the scrape-time figures come from; nothing here opens a connection to a peer. */
export interface MetricsSources {
  repos: Pick<Repositories, 'syncLogs' | 'lastSync'>;
  /** The peers with the status their last contact left (a Test Connection, the periodic check, a sync). */
  peers: { list(): PeerView[] };
  /** What each source server stores here (the Incoming page's figures). */
  incoming: { overview(): { sources: { name: string; fileCount: number; bytesUsed: number; lastReceivedAt: string | null }[] } };
  runningSyncs: () => number;
  version: string;
}

/** `unknown`: no contact since the peer was added or its settings changed. */
const PEER_STATUSES: readonly (PeerStatus | 'unknown')[] = ['online', 'unconfirmed', 'offline', 'unauthorized', 'forbidden', 'certificate-changed', 'error', 'unknown'];
const ENDED_STATUSES = ['success', 'failure', 'interrupted'] as const;
/** From a share with nothing new (a second) to a first backup over a home uplink (a day). */
const DURATION_BUCKETS_SECONDS = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400];

const seconds = (iso: string) => Date.parse(iso) / 1000;

/**
 * The server's Prometheus metrics (docs/metrics.md names each). One registry
 * per server, never prom-client's global one: several servers run in one test
 * process. Figures kept in SQLite are read on each scrape; what only the sync
 * engine sees as it goes (bytes and files sent, durations) is counted here
 * through SyncMeter, from the process's start.
 */
export class ServerMetrics implements SyncMeter {
  private readonly registry = new Registry();
  private readonly bytesSent: Counter<'peer'>;
  private readonly filesSent: Counter<'peer'>;
  private readonly duration: Histogram<'status'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    new Gauge({ name: 'anemone_build_info', help: 'Always 1; the version of Anemone that answers.', labelNames: ['version'], registers }).set(
      { version: sources.version },
      1,
    );

    new Gauge({
      name: 'anemone_last_success_timestamp_seconds',
      help: 'When the last successful sync of a share to a peer finished (Unix time); only shares that sync, to enabled peers, that succeeded at least once.',
      labelNames: ['user', 'share', 'peer'],
      registers,
      collect() {
        this.reset();
        for (const pair of sources.repos.lastSync.lastSuccessOfEachPair()) {
          this.set({ user: pair.username, share: pair.shareName, peer: pair.peerName }, seconds(pair.finishedAt));
        }
      },
    });

    new Counter({
      name: 'anemone_sync_runs_total',
      help: 'Sync runs that ended, by how they ended (from the sync logs, so it survives restarts).',
      labelNames: ['status'],
      registers,
      collect() {
        this.reset();
        const counts = sources.repos.syncLogs.endedRunsByStatus();
        for (const status of ENDED_STATUSES) this.inc({ status }, counts.get(status) ?? 0);
      },
    });

    new Gauge({
      name: 'anemone_sync_running',
      help: 'Sync runs (one share to one peer each) in progress now.',
      registers,
      collect() {
        this.set(sources.runningSyncs());
      },
    });

    this.bytesSent = new Counter({
      name: 'anemone_sync_bytes_sent_total',
      help: 'Plaintext bytes of files sent to a peer since the server started, counted as they leave (the wire adds encryption overhead).',
      labelNames: ['peer'],
      registers,
    });
    this.filesSent = new Counter({
      name: 'anemone_sync_files_sent_total',
      help: 'Files a peer acknowledged since the server started.',
      labelNames: ['peer'],
      registers,
    });
    this.duration = new Histogram({
      name: 'anemone_sync_duration_seconds',
      help: 'How long sync runs took, by how they ended, since the server started.',
      labelNames: ['status'],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });

    const enabledPeers = () => sources.peers.list().filter((peer) => peer.enabled);
    new Gauge({
      name: 'anemone_peer_up',
      help: "1 when an enabled peer's last contact found it online, 0 otherwise (never contacted included); no connection is made to answer.",
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        for (const peer of enabledPeers()) this.set({ peer: peer.name }, peer.status === 'online' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'anemone_peer_status',
      help: "1 for the status an enabled peer's last contact left, 0 for the others: says why a peer is down.",
      labelNames: ['peer', 'status'],
      registers,
      collect() {
        this.reset();
        for (const peer of enabledPeers()) {
          for (const status of PEER_STATUSES) this.set({ peer: peer.name, status }, (peer.status ?? 'unknown') === status ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'anemone_peer_last_contact_timestamp_seconds',
      help: 'When an enabled peer last answered (Unix time); absent before any contact.',
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        for (const peer of enabledPeers()) if (peer.lastContactAt !== null) this.set({ peer: peer.name }, seconds(peer.lastContactAt));
      },
    });

    const incomingSources = () => sources.incoming.overview().sources;
    new Gauge({
      name: 'anemone_incoming_bytes',
      help: 'Bytes stored here for a source server (encrypted backups it synced to this one).',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const source of incomingSources()) this.set({ source: source.name }, source.bytesUsed);
      },
    });
    new Gauge({
      name: 'anemone_incoming_files',
      help: 'Files stored here for a source server.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const source of incomingSources()) this.set({ source: source.name }, source.fileCount);
      },
    });
    new Gauge({
      name: 'anemone_incoming_last_received_timestamp_seconds',
      help: 'When a source server last sent something here (Unix time); absent before it sent anything.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const source of incomingSources()) if (source.lastReceivedAt !== null) this.set({ source: source.name }, seconds(source.lastReceivedAt));
      },
    });
  }

  sent(peerName: string, delta: { files: number; bytes: number }): void {
    if (delta.files > 0) this.filesSent.inc({ peer: peerName }, delta.files);
    if (delta.bytes > 0) this.bytesSent.inc({ peer: peerName }, delta.bytes);
  }

  ended(run: { peerName: string; status: 'success' | 'failure' | 'interrupted'; durationSeconds: number }): void {
    this.duration.observe({ status: run.status }, run.durationSeconds);
  }

  /** The Content-Type of `exposition()`: Prometheus's text format 0.0.4. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the text format, the SQLite figures read now. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
