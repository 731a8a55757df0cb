import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { renderTroubleshooting, TROUBLESHOOTING } from '../../scripts/write-error-docs.js';
import { errorCatalogue } from '../../src/errors/catalogue.js';
import { peerErrorCodeOf } from '../../src/peer-client/index.js';

describe('docs/troubleshooting.md', () => {
  it('has its error tables up to date with the code: run `npm run docs:errors` after changing an error', async () => {
    assert.equal(await readFile(TROUBLESHOOTING, 'utf8'), await renderTroubleshooting());
  });

  it('lists every error code of the catalogue and of the peer client', async () => {
    const doc = await readFile(TROUBLESHOOTING, 'utf8');
    for (const code of [...Object.keys(errorCatalogue), ...Object.values(peerErrorCodeOf)]) assert.ok(doc.includes(`| \`${code}\` |`), code);
  });
});
