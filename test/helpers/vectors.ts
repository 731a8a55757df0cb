import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';

/** The known-answer vectors of FORMAT.md, from the shared folder beside the repository. */
export interface FormatVectors {
  key: { base64: string };
  cases: ({ kind: 'file'; relPath: string; plaintext: { length: number }; plaintextSha256: string; ciphertextHex?: string } | { kind: 'manifest'; plaintextUtf8: string; ciphertextHex: string })[];
}

export function loadVectors(): FormatVectors {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, '..', 'shared', 'vectors', 'format-v1.json'), 'utf8')) as FormatVectors;
}
