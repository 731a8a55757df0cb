import { statfs } from 'node:fs/promises';
import { type BytesSentOnDay, type Repositories, utcDay } from '../db/index.js';
import type { IncomingOverview } from '../incoming/incoming-admin.js';

export interface ShareSizeHistory {
  shareId: number;
  user: string;
  share: string;
  /** One sample per UTC day a sync scanned the share, oldest first. */
  samples: { day: string; files: number; bytes: number }[];
}

export interface DiskSpace {
  /** Which folder: the users' shares, or the backups stored for peers. */
  folder: 'shares' | 'incoming';
  /** Bytes an unprivileged process may still write there. */
  freeBytes: number;
  totalBytes: number;
}

export interface IncomingUse {
  source: string;
  /** Current files and history this server stores for that peer. */
  bytesStored: number;
  /** Its quota; null: none. */
  maxBytes: number | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The overview's history and room: share sizes and bytes sent per day, free disk space, what peers store here. */
export class HistoryStats {
  constructor(
    private readonly deps: {
      repos: Pick<Repositories, 'shareStats'>;
      incoming: { overview(): IncomingOverview };
      folders: { shares: string; incoming: string };
      now?: () => Date;
    },
  ) {}

  /** The last `days` UTC days, today included; a user id narrows it to that user's shares and runs. */
  history(days: number, userId?: number): { since: string; shares: ShareSizeHistory[]; bytesSentPerDay: BytesSentOnDay[] } {
    const since = utcDay(new Date((this.deps.now?.() ?? new Date()).getTime() - (days - 1) * DAY_MS));
    const byShare = new Map<number, ShareSizeHistory>();
    for (const sample of this.deps.repos.shareStats.sizeSamples(since, userId)) {
      let share = byShare.get(sample.shareId);
      if (!share) byShare.set(sample.shareId, (share = { shareId: sample.shareId, user: sample.username, share: sample.shareName, samples: [] }));
      share.samples.push({ day: sample.day, files: sample.files, bytes: sample.bytes });
    }
    return { since, shares: [...byShare.values()], bytesSentPerDay: this.deps.repos.shareStats.bytesSentPerDay(since, userId) };
  }

  /** Free space on the file systems of the shares and of the incoming folder (they may be one and the same). */
  async disks(): Promise<DiskSpace[]> {
    return Promise.all(
      (['shares', 'incoming'] as const).map(async (folder) => {
        const stats = await statfs(this.deps.folders[folder]);
        return { folder, freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
      }),
    );
  }

  /** What each peer stores here (current files and history) against its quota. */
  incomingUse(): IncomingUse[] {
    return this.deps.incoming
      .overview()
      .sources.map((source) => ({ source: source.name, bytesStored: source.bytesUsed + source.versionBytes, maxBytes: source.maxBytes }));
  }
}
