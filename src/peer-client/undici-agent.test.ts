import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Agent, errors } from './undici-agent.js';

/** What a fresh process holds of undici once it loaded the server's modules (app.ts, as `serve` does). */
function undiciLoadedByServer(): { bundledUndici: boolean; fetchModules: number; undiciModules: number } {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(new URL('../app.ts', import.meta.url).href)});
    const cached = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({
      bundledUndici: process.moduleLoadList.some((name) => name.endsWith(' internal/deps/undici/undici')),
      fetchModules: cached.filter((file) => file.includes('/undici/lib/web/fetch/')).length,
      undiciModules: cached.filter((file) => file.includes('/node_modules/undici/')).length,
    }));`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as ReturnType<typeof undiciLoadedByServer>;
}

describe("undici's Agent alone", () => {
  it('gives an agent with the request API and undici\'s own error classes', async () => {
    const agent = new Agent();
    assert.equal(typeof agent.request, 'function');
    assert.ok(new errors.ConnectTimeoutError('x') instanceof errors.UndiciError);
    await agent.close();
  });

  it("keeps undici's fetch and Node's bundled undici out of a starting server", () => {
    const loaded = undiciLoadedByServer();
    // the check sees undici at all: the agent's modules are there
    assert.ok(loaded.undiciModules > 0, JSON.stringify(loaded));
    assert.equal(loaded.fetchModules, 0, JSON.stringify(loaded));
    assert.equal(loaded.bundledUndici, false, JSON.stringify(loaded));
  });
});
