import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';
import { freePort } from '../helpers/child-server.js';

/**
 * The shell blocks of the user docs are run as a reader would, in a scratch
 * folder: ```sh blocks run, ```sh no-test blocks (a clone, systemd, a machine
 * that is gone) are shown only. `anemone` is the CLI from source; `anemone
 * serve` is started in the background and waited for, as a reader's second
 * terminal would. The docs' ports 8443 and 9443 become free ports.
 */
/** Each doc with how many runnable blocks it has at least, so a block turned no-test by mistake is noticed. */
const DOCS = { 'install.md': 2, 'restore.md': 0 };

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^\s*```sh\n([\s\S]*?)^\s*```/gm)].map((match) => (match[1] as string).replace(/^ {3}/gm, ''));
}

const ANEMONE_SHIM = (repo: string, sandbox: string) => `#!/bin/sh
# the CLI from source; \`serve\` goes to the background until it answers /health
if [ "$1" = "serve" ]; then
  node --import "${repo}/node_modules/tsx/dist/loader.mjs" "${repo}/src/cli/run.ts" "$@" >> "${sandbox}/serve.log" 2>&1 &
  echo $! >> "${sandbox}/pids"
  for _ in $(seq 1 300); do
    curl -sk "https://127.0.0.1:\${HTTPS_PORT}/health" >/dev/null 2>&1 && exit 0
    sleep 0.1
  done
  echo "anemone serve did not start" >&2; cat "${sandbox}/serve.log" >&2; exit 1
fi
exec node --import "${repo}/node_modules/tsx/dist/loader.mjs" "${repo}/src/cli/run.ts" "$@"
`;

describe('the commands shown in the docs', () => {
  const sandboxes: string[] = [];
  after(async () => {
    for (const sandbox of sandboxes) {
      const pids = await readFile(path.join(sandbox, 'pids'), 'utf8').catch(() => '');
      for (const pid of pids.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGTERM');
        } catch {
          // already gone
        }
      }
      await rm(sandbox, { recursive: true, force: true });
    }
  });

  for (const [doc, minimumBlocks] of Object.entries(DOCS)) {
    it(`${doc}: every runnable shell block succeeds`, async () => {
      const markdown = await readFile(path.join(REPO_ROOT, 'docs', doc), 'utf8');
      const blocks = shellBlocks(markdown);
      assert.ok(blocks.length >= minimumBlocks, `${doc} has ${blocks.length} runnable blocks`);
      const sandbox = await mkdtemp(path.join(os.tmpdir(), 'anemone-docs-'));
      sandboxes.push(sandbox);
      await mkdir(path.join(sandbox, 'bin'));
      await writeFile(path.join(sandbox, 'bin', 'anemone'), ANEMONE_SHIM(REPO_ROOT, sandbox));
      await chmod(path.join(sandbox, 'bin', 'anemone'), 0o755);
      const ports = { '8443': String(await freePort()), '9443': String(await freePort()) };
      for (const block of blocks) {
        const script = block.replaceAll('8443', ports['8443']).replaceAll('9443', ports['9443']).replaceAll('/srv/anemone', path.join(sandbox, 'srv'));
        const result = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
          cwd: sandbox,
          encoding: 'utf8',
          timeout: 120_000,
          env: { ...process.env, PATH: `${path.join(sandbox, 'bin')}:${process.env.PATH ?? ''}`, HTTPS_PORT: ports['8443'], ANEMONE_BIND: '127.0.0.1', ANEMONE_LOG_LEVEL: 'warn' },
        });
        assert.equal(result.status, 0, `${doc}: this block failed:\n${block}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
      }
    });
  }
});
