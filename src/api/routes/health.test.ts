import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Fastify from 'fastify';
import { openDatabase } from '../../db/database.js';
import { createRepositories } from '../../db/index.js';
import { healthRoutes } from './health.js';

describe('GET /health', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers OK while the database answers, and 503 with a catalogue error once it is closed', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-health-'));
    const db = openDatabase(path.join(dir, 'anemone.db'));
    const repos = createRepositories(db);
    const app = Fastify({ logger: false });
    await app.register(healthRoutes({ ping: () => repos.ping() }));

    const up = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(up.statusCode, 200);
    assert.equal(up.body, 'OK');

    db.close();
    const down = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(down.statusCode, 503);
    assert.match(down.headers['content-type'] as string, /application\/json/);
    const body = down.json() as { error: { code: string; message: string; hint: string } };
    assert.equal(body.error.code, 'DATABASE_UNAVAILABLE');
    assert.match(body.error.message, /database does not answer/);
    assert.match(body.error.hint, /restart Anemone/);
    await app.close();
  });
});
