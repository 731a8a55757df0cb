import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IncomingHistoryRepo } from '../db/incoming-history-repo.js';
import { IncomingMultipartRepo } from '../db/incoming-multipart-repo.js';
import { IncomingRepo } from '../db/incoming-repo.js';
import { openDatabase } from '../db/index.js';
import { incomingStoreContract } from '../../test/helpers/incoming-store-contract.js';
import { LocalS3 } from '../../test/helpers/local-s3.js';
import { MIN_PART_BYTES, S3Objects, s3Client } from './s3-objects.js';
import { S3HistoryFiles } from './s3-history-files.js';
import { S3IncomingStore } from './s3-store.js';
import { ShareHistory } from './share-history.js';

const s3 = new LocalS3();

incomingStoreContract({
  name: 'S3 (s3rver on loopback)',
  multipartBytes: MIN_PART_BYTES,
  start: () => s3.start(),
  stop: () => s3.stop(),
  open: async ({ keepVersionsDays }) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-s3-contract-'));
    const db = openDatabase(path.join(dir, 'anemone.db'));
    const repo = new IncomingRepo(db);
    // each store its own prefix in the one bucket: what one test writes, another never sees
    const location = s3.location(`peer-${randomBytes(6).toString('hex')}`);
    const client = s3Client(location);
    const objects = new S3Objects(client, location);
    const history = new ShareHistory({ files: new S3HistoryFiles(objects), repo: new IncomingHistoryRepo(db), now: () => new Date(), keepVersionsDays: () => keepVersionsDays });
    return {
      store: new S3IncomingStore({ objects, repo, multipart: new IncomingMultipartRepo(db), history }),
      repo,
      close: async () => {
        client.destroy();
        db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});
