import type { Manifest } from '../manifest/manifest.js';

const TTL_MS = 60_000;
/** Manifests of big shares weigh megabytes: only the few being browsed right now are kept. */
const MAX_ENTRIES = 16;

/**
 * Decrypted manifests kept briefly per user, share and peer, so browsing
 * folder after folder does not fetch and decrypt the manifest each time.
 * An entry older than a manifest this server has since written to that peer
 * (a sync ran) is stale at once, whatever its age.
 */
export class ManifestCache {
  private readonly entries = new Map<string, { manifest: Manifest; storedAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string, writtenGeneration: number | undefined): Manifest | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    const expired = this.now() - hit.storedAt > TTL_MS;
    const superseded = writtenGeneration !== undefined && writtenGeneration > hit.manifest.generation;
    if (expired || superseded) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.manifest;
  }

  set(key: string, manifest: Manifest): void {
    this.entries.delete(key);
    this.entries.set(key, { manifest, storedAt: this.now() });
    // a Map iterates in insertion order: the first key is the oldest
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }
}

export function manifestCacheKey(userId: number, shareName: string, peerId: number): string {
  return `${userId}/${shareName}/${peerId}`;
}
