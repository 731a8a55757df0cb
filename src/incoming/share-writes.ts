import type { ShareRef } from './incoming-store.js';

/**
 * Writes in progress per share. The cleanup of uncommitted objects runs only
 * when none is: a request of an earlier run (a source killed mid-upload) may
 * still be renaming its file into place, and must not race the cleanup.
 */
export class ShareWrites {
  private readonly active = new Map<string, number>();
  /** Deletions of backups in progress: writes to the shares they cover wait until they end. */
  private readonly deletions = new Set<{ covers(ref: ShareRef): boolean; ended: Promise<void> }>();

  async during<T>(ref: ShareRef, work: () => Promise<T>): Promise<T> {
    // a write of the new incarnation (the source started the share again at once) must not land in a folder
    // the deletion is still removing: it waits, then writes into a fresh one
    for (let deletion = this.deletionCovering(ref); deletion; deletion = this.deletionCovering(ref)) await deletion.ended;
    const key = keyOf(ref);
    this.active.set(key, (this.active.get(key) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = (this.active.get(key) ?? 1) - 1;
      if (left === 0) this.active.delete(key);
      else this.active.set(key, left);
    }
  }

  busy(ref: ShareRef): boolean {
    return this.active.has(keyOf(ref));
  }

  /**
   * Runs the deletion of a source's, a user's or a share's backups; writes
   * to what it covers that start meanwhile wait for its end. (Writes already
   * running go on: they belong to the old incarnation, whose commit is refused.)
   */
  async deleting<T>(filter: { source: string; user?: string | undefined; share?: string | undefined }, work: () => Promise<T>): Promise<T> {
    let end = () => undefined as void;
    const deletion = {
      covers: (ref: ShareRef) => ref.source === filter.source && (filter.user === undefined || ref.user === filter.user) && (filter.share === undefined || ref.share === filter.share),
      ended: new Promise<void>((resolve) => {
        end = resolve;
      }),
    };
    this.deletions.add(deletion);
    try {
      return await work();
    } finally {
      this.deletions.delete(deletion);
      end();
    }
  }

  private deletionCovering(ref: ShareRef): { ended: Promise<void> } | undefined {
    for (const deletion of this.deletions) if (deletion.covers(ref)) return deletion;
    return undefined;
  }
}

function keyOf(ref: ShareRef): string {
  return JSON.stringify([ref.source, ref.user, ref.share]);
}
