import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeServerPid, runningServerPid, serverPidFile, writeServerPid } from './server-pid-file.js';

describe('the running server pid file', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-pid-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('names this process while it serves, nothing once removed', () => {
    assert.equal(runningServerPid(dir), undefined);
    writeServerPid(dir);
    assert.equal(runningServerPid(dir), process.pid);
    assert.equal(runningServerPid(dir, { exceptSelf: true }), undefined, 'a command that serves nothing: its own pid is stale');
    removeServerPid(dir);
    assert.equal(existsSync(serverPidFile(dir)), false);
  });

  it('writes a file of its own, never through a link at its name', () => {
    const target = path.join(dir, 'elsewhere.txt');
    writeFileSync(target, 'not the pid file\n');
    removeServerPid(dir);
    symlinkSync(target, serverPidFile(dir));
    writeServerPid(dir);
    assert.equal(readFileSync(target, 'utf8'), 'not the pid file\n', 'the link target is untouched');
    assert.ok(lstatSync(serverPidFile(dir)).isFile(), 'the link was replaced by a file');
    assert.equal(runningServerPid(dir), process.pid);
    removeServerPid(dir);
  });

  it('ignores a file a crashed server left, and leaves another live server\'s file alone', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(serverPidFile(dir), `${gone.stdout.toString()}\n`);
    assert.equal(runningServerPid(dir), undefined, 'that process has exited');
    writeFileSync(serverPidFile(dir), 'garbage\n');
    assert.equal(runningServerPid(dir), undefined);
    writeFileSync(serverPidFile(dir), `${process.ppid}\n`);
    removeServerPid(dir);
    assert.equal(runningServerPid(dir), process.ppid, 'not ours: not removed');
  });
});
