import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IncomingHistoryRepo } from '../db/incoming-history-repo.js';
import { IncomingRepo } from '../db/incoming-repo.js';
import { openDatabase } from '../db/index.js';
import { incomingStoreContract } from '../../test/helpers/incoming-store-contract.js';
import { FsHistoryFiles } from './fs-history-files.js';
import { FsIncomingStore } from './fs-store.js';
import { ShareHistory } from './share-history.js';

incomingStoreContract({
  name: 'filesystem',
  // the filesystem has no parts: any size is written whole
  multipartBytes: 64 * 1024,
  open: async ({ keepVersionsDays }) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-fs-contract-'));
    const db = openDatabase(path.join(dir, 'anemone.db'));
    const repo = new IncomingRepo(db);
    const root = path.join(dir, 'incoming');
    await mkdir(root);
    const history = new ShareHistory({ files: new FsHistoryFiles(root), repo: new IncomingHistoryRepo(db), now: () => new Date(), keepVersionsDays: () => keepVersionsDays });
    return {
      store: new FsIncomingStore({ root, repo, history }),
      repo,
      close: async () => {
        db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});
