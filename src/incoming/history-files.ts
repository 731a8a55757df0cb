/** A share as a source stores it on this peer. */
export interface HistoryShare {
  source: string;
  user: string;
  share: string;
}

/** What is known of a current object that was stored before history was kept (no recorded hash). */
export interface LegacyObject {
  ctSha256: string;
  size: number;
  storedAt: string;
}

/**
 * Where a share's history lives, for one store backend. A location is what
 * the backend reads and writes: a path on disk, or an object key. `file` is
 * always relative to the share's history (`objects/ab/ab….enc`,
 * `manifests/7-….json.enc`), as the database records it.
 */
export interface HistoryFiles {
  /**
   * Keeps what sits at each `from` as the history `file`, durably, before the
   * caller replaces or removes it; true per item when it was kept (or the same
   * ciphertext already was), false when nothing was at `from`.
   */
  keep(ref: HistoryShare, items: readonly { from: string; file: string }[]): Promise<boolean[]>;
  /** Removes history files; files already gone are skipped. */
  remove(ref: HistoryShare, files: readonly string[]): Promise<void>;
  /** The location of a history `file`. */
  location(ref: HistoryShare, file: string): string;
  /** The location of a manifest (kind full) or delta that is still in the share's current layout. */
  currentManifest(ref: HistoryShare, kind: 'full' | 'delta', generation: number): string;
  /** Hash and date of the object at `from`, for an object stored before its hash was recorded; undefined when none is there. */
  describe(from: string): Promise<LegacyObject | undefined>;
}
