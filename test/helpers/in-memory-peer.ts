/**
 * A peer held in memory, implementing the engine's PeerSession: it keeps
 * objects and the manifest (base and journal) as a real peer would, and
 * records every acknowledged write in order, so a test can check the
 * engine's write order. Manifests are opened with the user key to record
 * which files each one lists.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ManifestContext } from '../../src/crypto/index.js';
import { openPeerManifest } from '../../src/manifest/sealed-manifest.js';
import { storedNameFor } from '../../src/manifest/stored-names.js';
import type { BatchItem, OnSent, PeerManifestFetch, PeerSession, StoredFile } from '../../src/sync/types.js';
import { itemsOfBatchBody } from './batch-body.js';

export type PeerEvent =
  | { kind: 'object'; path: string; ctSha256: string }
  /** `files`: each listed relPath with the ctSha256 its entry names. */
  | { kind: 'manifest'; generation: number; files: Record<string, string> }
  | { kind: 'delete'; paths: string[] };

export interface InMemoryPeerOptions {
  userKey: Buffer;
  context: ManifestContext;
  /** Answer `unchanged` to a fetch naming the generation the peer holds, as a real peer does (default: always the manifest). */
  answersUnchanged?: boolean;
}

export class InMemoryPeer implements PeerSession {
  readonly events: PeerEvent[] = [];
  readonly objects = new Map<string, Buffer>();
  private base: Buffer | undefined;
  private deltas: { generation: number; bytes: Buffer }[] = [];
  private generation: number | undefined;
  /** Fetches of the manifest, and how many of them were answered `unchanged`. */
  readonly fetches = { all: 0, unchanged: 0 };

  /** An upload of this stored path fails with the error returned (a dropped link, say); a test may set it between runs. */
  failUpload: (storedPath: string) => Error | undefined = () => undefined;

  constructor(private readonly options: InMemoryPeerOptions) {}

  /** Whether each manifest written lists only objects the peer had acknowledged, with their content; the first offence if not. */
  firstManifestAheadOfData(): string | undefined {
    const acked = new Set<string>();
    for (const event of this.events) {
      if (event.kind === 'object') acked.add(`${event.path} ${event.ctSha256}`);
      if (event.kind !== 'manifest') continue;
      for (const [relPath, ctSha256] of Object.entries(event.files)) {
        if (!acked.has(`${storedNameFor(relPath)} ${ctSha256}`)) return `generation ${event.generation} lists ${relPath} before the peer acknowledged that content`;
      }
    }
    return undefined;
  }

  /** Manifest events, in the order they were written. */
  get manifests(): Extract<PeerEvent, { kind: 'manifest' }>[] {
    return this.events.filter((event) => event.kind === 'manifest');
  }

  async fetchManifest(_user?: string, _share?: string, ifGeneration?: number): Promise<PeerManifestFetch> {
    this.fetches.all += 1;
    if (!this.base) return { kind: 'missing', journals: true };
    if (this.options.answersUnchanged && ifGeneration !== undefined && ifGeneration === this.generation) {
      this.fetches.unchanged += 1;
      return { kind: 'unchanged' };
    }
    return { kind: 'stored', base: this.base, deltas: [...this.deltas], journals: true };
  }

  async putManifest(_user: string, _share: string, sealed: () => Readable, generation: number): Promise<{ bytes: number }> {
    const bytes = await readAll(sealed());
    this.base = bytes;
    this.deltas = [];
    this.recordManifest(generation);
    return { bytes: bytes.length };
  }

  async putManifestDelta(_user: string, _share: string, generation: number, bytes: Buffer): Promise<void> {
    this.deltas.push({ generation, bytes });
    this.recordManifest(generation);
  }

  async putFile(_user: string, _share: string, storedPath: string, body: Readable, _size: number, onSent?: OnSent): Promise<{ ctSha256: string }> {
    const bytes = await readAll(body);
    onSent?.(bytes.length, bytes.length);
    const failure = this.failUpload(storedPath);
    if (failure) throw failure;
    this.store(storedPath, bytes);
    return { ctSha256: sha256Hex(bytes) };
  }

  async putBatch(_user: string, _share: string, items: BatchItem[]): Promise<void> {
    // a batch is stored whole or not at all
    for (const item of items) {
      const failure = this.failUpload(item.path);
      if (failure) throw failure;
    }
    // copies, as a peer's disk holds: an item's body is the sender's view of a batch buffer it reuses once acknowledged
    for (const item of items) this.store(item.path, Buffer.from(item.body));
  }

  async putBatchBody(user: string, share: string, body: Buffer): Promise<void> {
    await this.putBatch(user, share, itemsOfBatchBody(body));
  }

  async listFiles(): Promise<StoredFile[]> {
    return [...this.objects].map(([path, bytes]) => ({ path, size: bytes.length }));
  }

  async deleteFiles(_user: string, _share: string, paths: string[]): Promise<void> {
    for (const path of paths) this.objects.delete(path);
    this.events.push({ kind: 'delete', paths: [...paths] });
  }

  async close(): Promise<void> {}

  private store(path: string, bytes: Buffer): void {
    this.objects.set(path, bytes);
    this.events.push({ kind: 'object', path, ctSha256: sha256Hex(bytes) });
  }

  private recordManifest(generation: number): void {
    this.generation = generation;
    if (!this.base) throw new Error('a manifest delta arrived before any full manifest');
    const manifest = openPeerManifest(this.options.userKey, this.options.context, { base: this.base, deltas: this.deltas }, undefined);
    const files = Object.fromEntries(Object.entries(manifest.files).map(([relPath, entry]) => [relPath, entry.ctSha256]));
    this.events.push({ kind: 'manifest', generation, files });
  }
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
