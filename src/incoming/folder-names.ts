import { readdir } from 'node:fs';

/**
 * Above this size (lstat's: on ext4 and XFS roughly the bytes of a folder's
 * entries, some 2,000 to 3,000 names; on ZFS its number of entries) a folder
 * is not listed, each item in it is looked at on its own: a batch places at
 * most a few thousand files, and listing a folder of a hundred thousand for
 * them would cost more than their `lstat`s. Kept low because ZFS counts
 * names, not bytes: 64 Ki names at most there (a few MB while a batch runs).
 */
export const MAX_LISTED_FOLDER_BYTES = 64 * 1024;
/**
 * What one batch lists in all (its folders' sizes added up): a batch whose
 * files are spread over many large folders would otherwise hold all their
 * names at once. Past it, items are looked at one by one.
 */
export const MAX_LISTED_BATCH_BYTES = 128 * 1024;

/**
 * The names in the folders that were there before a batch, each folder read
 * once for the whole batch (one `readdir` through libuv's pool instead of an
 * `lstat` per item): a name not among them held nothing when the batch
 * began. A name that appears after the read is caught by the item's
 * exclusive create (`O_EXCL`), which fails the batch and removes nothing
 * that is not its own. One instance per batch.
 */
export class FolderNames {
  private budget: number;

  constructor(
    private readonly maxFolderBytes = MAX_LISTED_FOLDER_BYTES,
    maxBatchBytes = MAX_LISTED_BATCH_BYTES,
  ) {
    this.budget = maxBatchBytes;
  }

  /**
   * The names in `folder` (`size`: lstat's size of it); undefined when it is
   * too large to list, the batch listed enough already, or the read failed:
   * then every item in it is looked at on its own.
   */
  list(folder: string, size: number | undefined): Promise<ReadonlySet<string> | undefined> {
    if (size === undefined || size > this.maxFolderBytes || size > this.budget) return Promise.resolve(undefined);
    this.budget -= size;
    return new Promise((resolve) => readdir(folder, (error, names) => resolve(error ? undefined : new Set(names))));
  }
}
