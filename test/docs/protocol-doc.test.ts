import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { syncRoutes } from '../../src/protocol/v1/index.js';
import { REPO_ROOT } from '../helpers/cli.js';

describe('docs/protocol.md', () => {
  it('documents every route of the protocol table, with its method and path', async () => {
    const doc = await readFile(path.join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8');
    for (const [name, route] of Object.entries(syncRoutes)) {
      assert.ok(doc.includes(`\`${name}\``), `route ${name} is named`);
      const relative = route.path.replace('/api/sync/v1', '');
      assert.ok(doc.includes(`\`${route.method} ${relative}`), `${route.method} ${relative} is shown`);
    }
  });

  it('documents every error code a route may answer', async () => {
    const doc = await readFile(path.join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8');
    const codes = new Set(Object.values(syncRoutes).flatMap((route) => route.errors as readonly string[]));
    for (const code of codes) assert.match(doc, new RegExp(`\\| \`${code}\` \\| \\d{3} \\|`), `error code ${code} has a row`);
  });
});
