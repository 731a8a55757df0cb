import { readdir } from 'node:fs';

/**
 * Above this size (lstat's, for a folder roughly the bytes of its entries:
 * on ext4 some 3,000 to 8,000 names) a folder is not listed, each item in it
 * is looked at on its own: a batch places at most a few thousand files, and
 * listing a folder of a hundred thousand for them would cost more than their
 * `lstat`s.
 */
export const MAX_LISTED_FOLDER_BYTES = 256 * 1024;

/**
 * The names in a folder that was there before a batch, read once for the
 * whole batch (one `readdir` through libuv's pool instead of an `lstat` per
 * item): a name not among them held nothing when the batch began. A name
 * that appears after the read is caught by the item's exclusive create
 * (`O_EXCL`), which fails the batch and removes nothing that is not its own.
 * Undefined when the folder is too large to list or the read failed: then
 * every item in it is looked at on its own.
 */
export function namesInFolder(folder: string, size: number | undefined): Promise<ReadonlySet<string> | undefined> {
  if (size === undefined || size > MAX_LISTED_FOLDER_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve) => readdir(folder, (error, names) => resolve(error ? undefined : new Set(names))));
}
