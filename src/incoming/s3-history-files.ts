import { JOURNAL_FOLDER } from '../manifest/manifest-delta.js';
import { HISTORY_FOLDER } from '../manifest/history-names.js';
import { MANIFEST_STORED_NAME } from '../manifest/stored-names.js';
import { runWorkerPool } from '../util/worker-pool.js';
import type { HistoryFiles, HistoryShare, LegacyObject } from './history-files.js';
import type { S3Objects } from './s3-objects.js';

/**
 * History in the bucket, keyed as on disk: `<prefix>/<source>/.history/<user>/<share>/<file>`
 * (docs/format.md). A bucket has no hard links: what is kept is copied
 * inside the storage (no byte passes through this server) before the
 * current key is replaced or deleted.
 */
export class S3HistoryFiles implements HistoryFiles {
  constructor(private readonly objects: S3Objects) {}

  async keep(ref: HistoryShare, items: readonly { from: string; file: string }[]): Promise<boolean[]> {
    const kept = items.map(() => false);
    await runWorkerPool(items.map((item, index) => ({ ...item, index })), async ({ from, file, index }) => {
      kept[index] = await this.objects.copy(from, this.location(ref, file));
    }, { concurrency: 8 });
    return kept;
  }

  async remove(ref: HistoryShare, files: readonly string[]): Promise<void> {
    await this.objects.deleteMany(files.map((file) => this.location(ref, file)));
  }

  location(ref: HistoryShare, file: string): string {
    return this.objects.key(ref.source, HISTORY_FOLDER, ref.user, ref.share, file);
  }

  currentManifest(ref: HistoryShare, kind: 'full' | 'delta', generation: number): string {
    return kind === 'full'
      ? this.objects.key(ref.source, ref.user, ref.share, MANIFEST_STORED_NAME)
      : this.objects.key(ref.source, ref.user, ref.share, JOURNAL_FOLDER, `${generation}.json.enc`);
  }

  async describe(from: string): Promise<LegacyObject | undefined> {
    const hashed = await this.objects.hash(from);
    return hashed && { ctSha256: hashed.sha256, size: hashed.size, storedAt: (hashed.lastModified ?? new Date(0)).toISOString() };
  }

}
