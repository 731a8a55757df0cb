import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, startChildServer } from '../helpers/child-server.js';

// Node 24 (and 22.15+) has process.execve: a lean server starts again with its V8 flags on node's command line;
// Node 20 has none and sets them at run time (src/cli/memory-mode.ts)
const restarts = typeof (process as { execve?: unknown }).execve === 'function';

/** The running server's command line, as the system sees it. */
async function commandLine(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
}

describe('`anemone serve` and the memory mode\'s V8 flags', () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  async function started(extraArgs: string[] = []) {
    const dir = await mkdtemp(path.join(tmpdir(), 'anemone-memory-'));
    dirs.push(dir);
    return startChildServer(dir, await freePort(), extraArgs);
  }

  it(`lean: ${restarts ? 'the same process runs again with --optimize-for-size on its command line' : 'the flag set at run time, the command line left as started'}`, async () => {
    const server = await started();
    try {
      const pid = server.process.pid as number;
      const args = await commandLine(pid);
      assert.equal(args.includes('--optimize-for-size'), restarts, args.join(' '));
      // the process spawned is the one answering: execve keeps the pid, and the server started once
      assert.equal((await server.client().get('/health')).status, 200);
      assert.equal(args.slice(-1)[0], 'warn', 'the arguments after the script are unchanged');
    } finally {
      await server.stop();
    }
    assert.equal(server.process.exitCode, 0, 'SIGTERM stops the restarted process cleanly');
  });

  it('fast: never restarted, the flag never given', async () => {
    const server = await started(['--memory', 'fast']);
    try {
      const args = await commandLine(server.process.pid as number);
      assert.equal(args.includes('--optimize-for-size'), false, args.join(' '));
      assert.deepEqual(args.slice(-2), ['--memory', 'fast']);
    } finally {
      await server.stop();
    }
  });
});
