import { readFileSync } from 'node:fs';
import { FIXTURES } from './fixtures.js';

/** The known-answer vectors of FORMAT.md (the repository's copy, see fixtures.ts). */
export interface FormatVectors {
  key: { base64: string };
  cases: ({ kind: 'file'; relPath: string; plaintext: { length: number }; plaintextSha256: string; ciphertextHex?: string } | { kind: 'manifest'; plaintextUtf8: string; ciphertextHex: string })[];
}

export function loadVectors(): FormatVectors {
  return JSON.parse(readFileSync(FIXTURES.formatVectors.copy, 'utf8')) as FormatVectors;
}
