import type { IncomingHistoryRepo } from '../db/incoming-history-repo.js';
import type { Logger } from '../logging/logger.js';
import { type RetentionPlan, retentionPlan } from './retention.js';
import type { ShareHistory } from './share-history.js';

interface ShareKey {
  source: string;
  user: string;
  share: string;
}

/**
 * Applies retention (retention.ts) to the history sources left here: the
 * only thing that ever removes history. Run daily; what the next run would
 * free is `plan`, shown on the Incoming page.
 */
export class HistoryPruner {
  constructor(private readonly deps: { repo: IncomingHistoryRepo; history: ShareHistory; now: () => Date; logger: Logger }) {}

  keepVersionsDays(source: string): number {
    return this.deps.history.keepVersionsDays(source);
  }

  plan(ref: ShareKey): RetentionPlan {
    return retentionPlan(this.deps.repo.listSnapshots(ref), this.deps.repo.listVersions(ref), this.deps.now(), this.deps.history.keepVersionsDays(ref.source));
  }

  /** Removes what retention no longer keeps, share by share; returns and logs what it freed. */
  async prune(): Promise<{ files: number; bytes: number }> {
    let files = 0;
    let bytes = 0;
    for (const ref of this.deps.repo.sharesWithHistory()) {
      const plan = this.plan(ref);
      if (plan.files === 0) continue;
      // rows go after their files: a crash leaves a row without a file (NOT_FOUND when read), never an unrecorded file
      await this.deps.history.removeFiles(ref, [...plan.snapshots.map((row) => row.historyFile as string), ...plan.versionFiles.map((version) => version.file)]);
      this.deps.repo.deleteSnapshots(plan.snapshots.map((row) => row.id));
      this.deps.repo.deleteVersions(plan.versions.map((version) => version.id));
      files += plan.files;
      bytes += plan.bytes;
    }
    if (files > 0) this.deps.logger.info({ files, bytes }, 'retention removed history older than the peer keeps');
    return { files, bytes };
  }
}
