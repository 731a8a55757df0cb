import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnemoneError } from '../errors/catalogue.js';
import { syncCommandFlush } from './file-system-flush.js';

const linux = process.platform === 'linux';
const syncfsReportsErrors = () => {
  const [major = 0, minor = 0] = os.release().split('.').map((part) => Number.parseInt(part, 10));
  return major > 5 || (major === 5 && minor >= 8);
};

describe('syncCommandFlush', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-flush-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A stand-in for `sync`: notes its arguments, fails (as on an I/O error) while `fail` exists. */
  async function fakeSync(name: string): Promise<{ command: string; calls: () => Promise<string[]>; fail: string }> {
    const log = path.join(dir, `${name}.log`);
    const fail = path.join(dir, `${name}.fail`);
    const command = path.join(dir, name);
    await writeFile(command, `#!/bin/sh\necho "$*" >> '${log}'\nif [ -e '${fail}' ]; then echo 'sync: error syncing: Input/output error' >&2; exit 1; fi\n`);
    await chmod(command, 0o755);
    return { command, fail, calls: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean) };
  }

  it('is not available before Linux 5.8 (syncfs answered success whatever the disk said) nor elsewhere, and runs nothing', async () => {
    const fake = await fakeSync('old-kernel');
    assert.equal(await syncCommandFlush({ command: fake.command, kernelRelease: '5.4.0-150-generic', platform: 'linux' }).available(), false);
    assert.equal(await syncCommandFlush({ command: fake.command, kernelRelease: '6.1.0', platform: 'darwin' }).available(), false);
    assert.deepEqual(await fake.calls(), []);
  });

  it('is not available when the command is missing or refuses the probe', async () => {
    assert.equal(await syncCommandFlush({ command: path.join(dir, 'no-such-sync'), kernelRelease: '6.1.0', platform: 'linux' }).available(), false);
    const fake = await fakeSync('refusing');
    await writeFile(fake.fail, '');
    assert.equal(await syncCommandFlush({ command: fake.command, kernelRelease: '6.1.0', platform: 'linux' }).available(), false);
  });

  it('probes once, flushes the folders given, and after a failed flush probes again', async () => {
    const fake = await fakeSync('flaky');
    const flush = syncCommandFlush({ command: fake.command, kernelRelease: '5.8.0', platform: 'linux' });
    assert.equal(await flush.available(), true);
    assert.equal(await flush.available(), true);
    await flush.flush(['/data/a', '/data/b c']);
    assert.deepEqual(await fake.calls(), ['-f -- /', '-f -- /data/a /data/b c']);

    await writeFile(fake.fail, '');
    await assert.rejects(flush.flush(['/data/a']), (error: unknown) => {
      assert.ok(error instanceof AnemoneError);
      assert.equal(error.code, 'INCOMING_STORAGE_UNAVAILABLE');
      assert.match(error.message, /Input\/output error/);
      return true;
    });
    assert.equal(await flush.available(), false, 'the failure made it ask again, and the probe fails now');
    await rm(fake.fail);
    assert.equal(await flush.available(), false, 'a failed probe holds for the life of the process: an fsync per file from then on');
    assert.equal((await fake.calls()).length, 4);
  });

  it('flushes a real folder with coreutils sync on this machine', { skip: !(linux && syncfsReportsErrors()) && 'syncfs reports errors on Linux 5.8 and later only' }, async () => {
    const flush = syncCommandFlush();
    assert.equal(await flush.available(), true);
    await writeFile(path.join(dir, 'data'), 'bytes');
    await flush.flush([dir]);
  });
});
