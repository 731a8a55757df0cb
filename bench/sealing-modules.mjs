// The built modules the sealing-loop benches (seal-loop.mjs, seal-cold.mjs) load from a build's dist folder.
import path from 'node:path';

export async function sealingModules(distArg) {
  const dist = path.resolve(distArg);
  const { SmallFileSealer } = await import(`${dist}/sync/small-files/seal-small-files.js`);
  const { BatchBodyBuilder } = await import(`${dist}/protocol/v1/batch-frame.js`);
  const { resolveShareRoot } = await import(`${dist}/scan/open-share-file.js`);
  const { fsRelPathFor } = await import(`${dist}/manifest/file-keys.js`);
  const { storedNameFor } = await import(`${dist}/manifest/stored-names.js`);
  const { BATCH_CAPACITY } = await import(`${dist}/sync/batch-sender.js`);
  /** A 4 KiB file of the plan, as the sealer takes it. */
  const toSeal = (relPath) => ({ relPath, fsRelPath: fsRelPathFor(relPath), storedPath: storedNameFor(relPath), size: 4096 });
  return { SmallFileSealer, BatchBodyBuilder, resolveShareRoot, BATCH_CAPACITY, toSeal };
}
