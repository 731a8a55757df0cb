import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { LEAN_V8_FLAGS, leanCommandLine } from './memory-mode.js';

// v8.setFlagsFromString ignores a flag it does not know: a misspelt or retired flag would leave lean doing nothing, silently
describe('lean memory mode', () => {
  it('sets only flags this Node version knows (node refuses unknown ones on its command line)', () => {
    assert.ok(LEAN_V8_FLAGS.includes('--optimize-for-size'));
    for (const flag of LEAN_V8_FLAGS) {
      // a sender's pattern under the flag: fresh 1 MiB buffers, one after the other
      const run = spawnSync(process.execPath, [flag, '-e', 'let kept; for (let i = 0; i < 256; i++) kept = Buffer.alloc(1 << 20, i); process.stdout.write(String(kept[0]))'], { encoding: 'utf8' });
      assert.equal(run.status, 0, `${flag}: ${run.stderr}`);
      assert.equal(run.stdout, '255', flag);
    }
  });

  it('catches a flag node does not know', () => {
    const run = spawnSync(process.execPath, ['--heap-growing-percentage=100', '-e', ''], { encoding: 'utf8' });
    assert.notEqual(run.status, 0);
  });
});

describe('the lean flags on node\'s command line', () => {
  const argv = ['/usr/bin/node', '/opt/anemone/bin/anemone.js', 'serve', '--port', '8443'];

  it('starts a lean server again with the flags before node\'s own options, the script and its arguments unchanged', () => {
    assert.deepEqual(leanCommandLine('lean', '/usr/bin/node', ['--import', 'tsx'], argv), ['/usr/bin/node', ...LEAN_V8_FLAGS, '--import', 'tsx', '/opt/anemone/bin/anemone.js', 'serve', '--port', '8443']);
  });

  it('leaves a server that has them, or runs fast, as it is', () => {
    assert.equal(leanCommandLine('lean', '/usr/bin/node', [...LEAN_V8_FLAGS, '--import', 'tsx'], argv), undefined);
    assert.equal(leanCommandLine('fast', '/usr/bin/node', [], argv), undefined);
  });
});

