import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { freePort, startChildServer } from '../helpers/child-server.js';

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

const fileText = (file: string) => readFile(file, 'utf8').catch(() => '');

describe('the server log (anemone serve, the real CLI)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-cli-logs-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('goes to standard output only by default: no log file is written', async () => {
    const dataDir = path.join(dir, 'default');
    const server = await startChildServer(dataDir, await freePort(), ['--log-level', 'info']);
    try {
      await waitFor('the start line on stdout', async () => (server.stdout().includes('"server started"') ? true : undefined));
    } finally {
      await server.stop();
    }
    assert.equal(existsSync(path.join(dataDir, 'logs')), false, 'no data/logs/ any more');
  });

  it('goes to ANEMONE_LOG_FILE as well when set, and to a new file at that path after logrotate moves it and sends SIGHUP', async () => {
    const dataDir = path.join(dir, 'with-file');
    const logFile = path.join(dir, 'var-log', 'anemone.log');
    const server = await startChildServer(dataDir, await freePort(), ['--log-level', 'info', '--log-file', logFile]);
    try {
      await waitFor('the start line in the file', async () => ((await fileText(logFile)).includes('"server started"') ? true : undefined));
      assert.match(server.stdout(), /"server started"/, 'stdout keeps the log too');

      // what logrotate does: move the file away, then signal the process
      const rotated = `${logFile}.1`;
      await rename(logFile, rotated);
      server.process.kill('SIGHUP');
      const fresh = await waitFor('a new file at the original path', async () => {
        const text = await fileText(logFile);
        return text.includes('"log file reopened"') ? text : undefined;
      });
      assert.doesNotMatch(fresh, /"server started"/, 'the new file starts after the rotation');
      assert.doesNotMatch(await fileText(rotated), /"log file reopened"/, 'nothing more goes to the moved file');
      assert.equal(server.process.exitCode, null, 'SIGHUP does not stop the server');
      assert.equal((await server.client().get('/health')).status, 200);
    } finally {
      await server.stop();
    }
    assert.match(await fileText(logFile), /"stopping"/, 'later lines keep going to the new file');
  });

  it('survives a SIGHUP without a log file', async () => {
    const server = await startChildServer(path.join(dir, 'hup'), await freePort(), ['--log-level', 'info']);
    try {
      server.process.kill('SIGHUP');
      await waitFor('the SIGHUP line on stdout', async () => (server.stdout().includes('"log file reopened"') ? true : undefined));
      assert.equal((await server.client().get('/health')).status, 200);
    } finally {
      await server.stop();
    }
  });
});
