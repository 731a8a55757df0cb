import type { ShareRef } from './incoming-store.js';

/**
 * Writes in progress per share. The cleanup of uncommitted objects runs only
 * when none is: a request of an earlier run (a source killed mid-upload) may
 * still be renaming its file into place, and must not race the cleanup.
 */
export class ShareWrites {
  private readonly active = new Map<string, number>();

  async during<T>(ref: ShareRef, work: () => Promise<T>): Promise<T> {
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
}

function keyOf(ref: ShareRef): string {
  return JSON.stringify([ref.source, ref.user, ref.share]);
}
