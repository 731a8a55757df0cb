import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { generateOpenApi } from '../../scripts/write-openapi.js';
import { errorCatalogue } from '../../src/errors/catalogue.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';

/**
 * The `METHOD /path` routes of PRODUCT.md §10: the first round's table (the
 * contract: routes may be added, never dropped) and the table of routes the
 * second round (issues 9–15 there, 12–18 here) adds.
 */
async function productRoutes(): Promise<{ base: Route[]; secondRound: Route[] }> {
  const product = await readFile(FIXTURES.product.copy, 'utf8');
  const interfaces = product.slice(product.indexOf('## 10. Interfaces'));
  const split = interfaces.indexOf('### Added in the second round');
  return split === -1
    ? { base: routesIn(interfaces), secondRound: [] }
    : { base: routesIn(interfaces.slice(0, split)), secondRound: routesIn(interfaces.slice(split)) };
}

interface Route {
  method: string;
  path: string;
}

function routesIn(text: string): Route[] {
  const routes: Route[] = [];
  for (const match of text.matchAll(/`((?:GET|POST|PUT|PATCH|DELETE)(?:\/(?:GET|POST|PUT|PATCH|DELETE))*) (\/[^\s`?[]+)/g)) {
    for (const method of (match[1] as string).split('/')) routes.push({ method, path: (match[2] as string).replace(/:(\w+)/g, '{$1}') });
  }
  return routes;
}

/**
 * Second-round routes whose issue is still open. The list only shrinks: a
 * route that lands must leave it (the test below fails while it is both
 * built and listed here).
 */
const SECOND_ROUND_NOT_BUILT_YET: readonly string[] = [];

describe('the API reference (docs/openapi.json)', () => {
  it('is generated from the code and up to date: run `npm run openapi` after changing a route', async () => {
    const written = await readFile(path.join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8');
    assert.equal(written, await generateOpenApi());
  });

  it('lists every route of the product contract', async () => {
    const document = JSON.parse(await generateOpenApi()) as { paths: Record<string, Record<string, unknown>> };
    const built = (route: Route) => document.paths[route.path]?.[route.method.toLowerCase()] !== undefined;
    const { base, secondRound } = await productRoutes();
    assert.ok(base.length > 30, `parsed ${base.length} routes from PRODUCT.md`);
    assert.deepEqual(base.filter((route) => !built(route)), []);
    const named = (route: Route) => `${route.method} ${route.path}`;
    assert.deepEqual(
      secondRound.filter((route) => !built(route) && !SECOND_ROUND_NOT_BUILT_YET.includes(named(route))).map(named),
      [],
      'a second-round route is neither built nor listed as not built yet',
    );
    assert.deepEqual(secondRound.filter((route) => built(route) && SECOND_ROUND_NOT_BUILT_YET.includes(named(route))).map(named), [], 'built: take it off the list');
  });

  it('carries every error code of the catalogue', async () => {
    const document = JSON.parse(await generateOpenApi()) as { 'x-error-codes': Record<string, unknown> };
    assert.deepEqual(Object.keys(document['x-error-codes']).sort(), Object.keys(errorCatalogue).sort());
  });
});
