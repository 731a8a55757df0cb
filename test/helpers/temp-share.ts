import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { resolveShareRoot, type ShareRoot } from '../../src/scan/open-share-file.js';

/** A share folder in a temporary directory, for one `describe` block: made before its tests, removed after them. */
export interface TempShare {
  readonly dir: string;
  readonly root: ShareRoot;
  /** Writes a file into the share; returns its path relative to the share. */
  fileWith(content: Buffer): Promise<string>;
}

/** Call inside `describe`: registers the block's before and after hooks. */
export function tempShareFolder(prefix: string): TempShare {
  let dir: string | undefined;
  let root: ShareRoot | undefined;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    root = await resolveShareRoot(dir);
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  const made = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the temporary share is made in the describe block’s before hook');
    return value;
  };
  return {
    get dir() {
      return made(dir);
    },
    get root() {
      return made(root);
    },
    async fileWith(content) {
      const relPath = `${randomBytes(4).toString('hex')}.txt`;
      await writeFile(path.join(made(dir), relPath), content);
      return relPath;
    },
  };
}
