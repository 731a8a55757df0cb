import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FIXTURES } from '../helpers/fixtures.js';

/**
 * The tests read copies of the shared documents (test/fixtures/), so they run
 * from the repository alone; where the originals are beside the repository
 * (../shared), the copies must be the same bytes.
 */
describe('test fixtures copied from ../shared', () => {
  for (const [name, fixture] of Object.entries(FIXTURES)) {
    const present = existsSync(fixture.original);
    it(`${name}: the copy is the same as ${fixture.original}`, { skip: present ? false : `${fixture.original} is absent (a clone without ../shared): the copy cannot be compared` }, () => {
      const copy = readFileSync(fixture.copy);
      assert.ok(copy.equals(readFileSync(fixture.original)), `test/fixtures is out of date: copy ${fixture.original} to ${fixture.copy}`);
    });
  }
});
