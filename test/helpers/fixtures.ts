import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Copies, inside the repository, of the project's shared documents that tests
 * read, so the suite runs from a clone alone. test/docs/fixtures.test.ts
 * checks each copy against its original in ../shared when that folder is there.
 */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const FIXTURES = {
  /** FORMAT.md's known-answer vectors. */
  formatVectors: { copy: path.join(REPO_ROOT, 'test', 'fixtures', 'format-v1.json'), original: path.join(REPO_ROOT, '..', 'shared', 'vectors', 'format-v1.json') },
  /** The product contract: its §10 lists the routes the API must keep. */
  product: { copy: path.join(REPO_ROOT, 'test', 'fixtures', 'PRODUCT.md'), original: path.join(REPO_ROOT, '..', 'shared', 'PRODUCT.md') },
} as const;
