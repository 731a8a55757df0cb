import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { generateOpenApi } from '../../scripts/write-openapi.js';
import { errorCatalogue } from '../../src/errors/catalogue.js';
import { REPO_ROOT } from '../helpers/cli.js';

/** Every `METHOD /path` of PRODUCT.md §10's route table (the contract: routes may be added, never dropped). */
async function productRoutes(): Promise<{ method: string; path: string }[]> {
  const product = await readFile(path.join(REPO_ROOT, '..', 'shared', 'PRODUCT.md'), 'utf8');
  const table = product.slice(product.indexOf('## 10. Interfaces'));
  const routes: { method: string; path: string }[] = [];
  for (const match of table.matchAll(/`((?:GET|POST|PUT|PATCH|DELETE)(?:\/(?:GET|POST|PUT|PATCH|DELETE))*) (\/[^\s`?[]+)/g)) {
    for (const method of (match[1] as string).split('/')) routes.push({ method, path: (match[2] as string).replace(/:(\w+)/g, '{$1}') });
  }
  return routes;
}

describe('the API reference (docs/openapi.json)', () => {
  it('is generated from the code and up to date: run `npm run openapi` after changing a route', async () => {
    const written = await readFile(path.join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8');
    assert.equal(written, await generateOpenApi());
  });

  it('lists every route of the product contract', async () => {
    const document = JSON.parse(await generateOpenApi()) as { paths: Record<string, Record<string, unknown>> };
    const routes = await productRoutes();
    assert.ok(routes.length > 30, `parsed ${routes.length} routes from PRODUCT.md`);
    const missing = routes.filter((route) => !document.paths[route.path]?.[route.method.toLowerCase()]);
    assert.deepEqual(missing, []);
  });

  it('carries every error code of the catalogue', async () => {
    const document = JSON.parse(await generateOpenApi()) as { 'x-error-codes': Record<string, unknown> };
    assert.deepEqual(Object.keys(document['x-error-codes']).sort(), Object.keys(errorCatalogue).sort());
  });
});
