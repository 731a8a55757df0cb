import type { IncomingStoreConfig } from '../config/config.js';
import type { IncomingHistoryRepo } from '../db/incoming-history-repo.js';
import type { IncomingMultipartRepo } from '../db/incoming-multipart-repo.js';
import type { IncomingRepo } from '../db/incoming-repo.js';
import { FsHistoryFiles } from './fs-history-files.js';
import { FsIncomingStore } from './fs-store.js';
import type { IncomingStore } from './incoming-store.js';
import type { S3HistoryFiles } from './s3-history-files.js';
import { ShareHistory } from './share-history.js';
import type { WriteStreamFactory } from './temp-file.js';

export interface OpenStoreOptions {
  maxUploadBytes?: number | undefined;
  createWriteStream?: WriteStreamFactory | undefined;
  partialExpiryMs?: number | undefined;
  maxPartialsPerSource?: number | undefined;
  now: () => Date;
  keepVersionsDays: (source: string) => number;
}

/**
 * The incoming store the configuration names, with its history. A bucket is
 * probed first (write, read, delete): a store that cannot work is refused
 * at start, with what is wrong.
 */
export async function openIncomingStore(deps: {
  config: IncomingStoreConfig;
  incomingDir: string;
  repos: { incoming: IncomingRepo; incomingHistory: IncomingHistoryRepo; incomingMultipart: IncomingMultipartRepo };
  options: OpenStoreOptions;
}): Promise<{ store: IncomingStore; close: () => void }> {
  const { options, repos } = deps;
  const historyOf = (files: FsHistoryFiles | S3HistoryFiles) =>
    new ShareHistory({ files, repo: repos.incomingHistory, now: options.now, keepVersionsDays: options.keepVersionsDays });
  if (deps.config.kind === 'fs') {
    const store = new FsIncomingStore({
      root: deps.incomingDir,
      repo: repos.incoming,
      maxUploadBytes: options.maxUploadBytes,
      createWriteStream: options.createWriteStream,
      now: options.now,
      history: historyOf(new FsHistoryFiles(deps.incomingDir)),
      partials: { expiryMs: options.partialExpiryMs, maxPerSource: options.maxPartialsPerSource },
    });
    return { store, close: () => undefined };
  }
  // the S3 modules (and the AWS SDK, ~20 MB) load only for a bucket: a server storing on disk never holds them
  const [{ S3HistoryFiles }, { S3Objects, s3Client }, { probeBucket }, { S3IncomingStore }] = await Promise.all([
    import('./s3-history-files.js'),
    import('./s3-objects.js'),
    import('./s3-probe.js'),
    import('./s3-store.js'),
  ]);
  const client = s3Client(deps.config.location);
  const objects = new S3Objects(client, deps.config.location);
  try {
    await probeBucket(objects);
  } catch (error) {
    client.destroy();
    throw error;
  }
  const store = new S3IncomingStore({
    objects,
    repo: repos.incoming,
    multipart: repos.incomingMultipart,
    history: historyOf(new S3HistoryFiles(objects)),
    maxUploadBytes: options.maxUploadBytes,
    now: options.now,
    partialExpiryMs: options.partialExpiryMs,
    maxPartialsPerSource: options.maxPartialsPerSource,
  });
  return { store, close: () => client.destroy() };
}
