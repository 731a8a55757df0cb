import type { Readable } from 'node:stream';
import type { ManifestTotals } from '../peer-client/peer-client.js';

/** A peer as the engine sees it: who, and how long it may stay silent. */
export interface SyncPeer {
  id: number;
  name: string;
  timeoutMinutes: number;
  /** The pinned certificate fingerprint; null until an administrator confirmed one, and nothing syncs to it before. */
  fingerprint: string | null;
}

export interface StoredFile {
  path: string;
  size: number;
}

/** A small encrypted file travelling in a batch. */
export interface BatchItem {
  path: string;
  ctSha256: string;
  body: Buffer;
}

/** How much of an upload's request body the connection has taken, of how much. */
export type OnSent = (sentBytes: number, totalBytes: number) => void;

/**
 * An authenticated conversation with one peer, as the engine needs it. The
 * composition root adapts the peer client to it, so the engine can be tested
 * against any implementation.
 */
/** What a peer stores of a share's manifest (the peer client's ManifestFetch). */
export type PeerManifestFetch =
  | { kind: 'missing'; journals: boolean }
  | { kind: 'unchanged' }
  | { kind: 'stored'; base: Buffer; deltas: { generation: number; bytes: Buffer }[]; journals: boolean };

export interface PeerSession {
  /**
   * The first call of a run for the share: the peer then removes objects an earlier run wrote but never committed.
   * With `ifGeneration`, a peer still at that generation answers `unchanged`, with no body.
   */
  fetchManifest(user: string, share: string, ifGeneration: number | undefined): Promise<PeerManifestFetch>;
  /**
   * A full manifest, streamed as `sealed` seals it (called again for a replay), its SHA-256 as a trailer; resolves
   * with its length. `totals`: the manifest's plaintext file count and bytes, which the peer shows with the snapshot.
   */
  putManifest(user: string, share: string, sealed: () => Readable, generation: number, totals?: ManifestTotals): Promise<{ bytes: number }>;
  /** One delta of the manifest's journal, leading to `generation`. */
  putManifestDelta(user: string, share: string, generation: number, bytes: Buffer, ctSha256: string, totals?: ManifestTotals): Promise<void>;
  /** Streams one file; resolves with the SHA-256 the peer computed over what it stored. `onSent` follows the upload's body. */
  putFile(user: string, share: string, storedPath: string, body: Readable, size: number, onSent?: OnSent): Promise<{ ctSha256: string }>;
  /** Frames the items into a batch body and sends it. Their bodies may be views of a buffer the sender writes over once the call resolved: a session keeps copies. */
  putBatch(user: string, share: string, items: BatchItem[], onSent?: OnSent): Promise<void>;
  /** Sends items already framed as a batch body (BatchBodyBuilder), as is; the sender writes over `body` once the call resolved. */
  putBatchBody(user: string, share: string, body: Buffer, onSent?: OnSent): Promise<void>;
  /**
   * Resumable upload of a large object (resumable-upload.ts): creates or finds
   * it and resolves with the bytes the peer holds durably, or undefined when the
   * peer does not offer resumable uploads (an older version).
   */
  uploadOffset?(user: string, share: string, storedPath: string, uploadId: string, size: number): Promise<number | undefined>;
  /** Continues it at `upload.offset`; `ctSha256` gives the whole object's SHA-256 once `body` ended. */
  appendUpload?(
    user: string,
    share: string,
    storedPath: string,
    upload: { uploadId: string; offset: number; size: number },
    body: Readable,
    ctSha256: () => Buffer,
    onSent?: OnSent,
  ): Promise<{ complete: boolean; offset: number }>;
  listFiles(user: string, share: string): Promise<StoredFile[]>;
  deleteFiles(user: string, share: string, paths: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface PeerConnector {
  enabledPeers(): SyncPeer[];
  findPeer(peerId: number): SyncPeer | undefined;
  /** Opens a session (pinned mutual TLS, server password); throws a person-readable error. */
  connect(peerId: number, signal: AbortSignal): Promise<PeerSession>;
  /** Records how the last contact went, for the dashboard. */
  recordContact?(peerId: number, outcome: { ok: boolean; code?: string; message?: string }): void;
}

export interface SyncProgress {
  logId: number;
  userId: number;
  username: string;
  shareId: number;
  shareName: string;
  peerId: number;
  peerName: string;
  startedAt: string;
  phase: 'connecting' | 'scanning' | 'planning' | 'uploading' | 'finishing';
  filesDone: number;
  filesTotal: number;
  /**
   * Plaintext bytes of the plan sent so far (bytesTotal is plaintext too):
   * files the peer acknowledged, plus the part of each upload in flight the
   * connection has taken. Moves while a large file streams.
   */
  bytesDone: number;
  bytesTotal: number;
}

/**
 * TEST ONLY — absent in production. Lets a test act at a precise point of a
 * run instead of racing it with timers (swapping a share file between the
 * scan and its read, say). Passed through `ServerOptions.syncTestHooks`.
 */
export interface SyncTestHooks {
  /** Awaited just before the upload opens a file of the share, with the file's path relative to the share. */
  beforeFileRead?(file: { username: string; shareName: string; relPath: string }): Promise<void> | void;
  /** The program of the thread that seals small files (small-files/seal-worker.ts): a test gives one that fails. */
  sealWorkerEntry?: URL;
}

/** A run in progress as the API shows it: its progress, plus the upload's pace. */
export interface RunningSync extends SyncProgress {
  /** Plaintext bytes per second over the last few seconds of the upload; null outside it or before a second was measured. */
  bytesPerSecond: number | null;
  /** Seconds left at that rate; null when unknown (not uploading, no rate yet, or nothing moving). */
  etaSeconds: number | null;
}

/**
 * What the sync engine tells the metrics (src/monitoring/metrics.ts) as runs
 * go: the engine knows no exporter, the composition root passes one in.
 */
export interface SyncMeter {
  /** Files the peer acknowledged and plaintext bytes that left for `peerName` since the last call of this run. */
  sent(peerName: string, delta: { files: number; bytes: number }): void;
  /** A run ended, how, and how long it took from its start. */
  ended(run: { peerName: string; status: 'success' | 'failure' | 'interrupted'; durationSeconds: number }): void;
}

/** How a run ended, as the engine tells whoever listens (notifications), after its log row is written. */
export interface SyncRunOutcome {
  logId: number;
  shareId: number;
  peerId: number;
  username: string;
  shareName: string;
  peerName: string;
  status: 'success' | 'failure' | 'interrupted';
  finishedAt: string;
  /** 1 for a run as started; 2 and more for automatic retries of a failed scheduled run. */
  attempt: number;
  code?: string | undefined;
  error?: string | undefined;
  hint?: string | undefined;
  /** An automatic retry of this failed run is armed. */
  retryPending: boolean;
}
