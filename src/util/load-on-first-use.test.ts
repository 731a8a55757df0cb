import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnemoneError } from '../errors/catalogue.js';
import { loadOnFirstUse } from './load-on-first-use.js';

describe('loadOnFirstUse', () => {
  it('loads nothing until asked, then once for every caller, the first ones waiting for the same load', async () => {
    let loads = 0;
    const load = loadOnFirstUse('a part', async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { part: loads };
    });
    assert.equal(loads, 0);
    const [first, second] = await Promise.all([load(), load()]);
    assert.equal(loads, 1);
    assert.equal(first, second);
    assert.equal(await load(), first);
    assert.equal(loads, 1);
  });

  it('answers a failed load with PART_NOT_LOADED naming the part, and tries again on the next call', async () => {
    let attempts = 0;
    const load = loadOnFirstUse('WebDAV (the webdav-server package)', async () => {
      attempts += 1;
      if (attempts === 1) throw new Error("Cannot find package 'webdav-server'\nRequire stack: ...");
      return 'loaded';
    });
    await assert.rejects(load(), (error: unknown) => {
      assert.ok(error instanceof AnemoneError);
      assert.equal(error.code, 'PART_NOT_LOADED');
      assert.equal(error.status, 503);
      assert.equal(error.message, "This server could not load WebDAV (the webdav-server package): Cannot find package 'webdav-server'");
      return true;
    });
    assert.equal(await load(), 'loaded');
    assert.equal(attempts, 2);
  });
});
