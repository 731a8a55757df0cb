import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, realpath, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import { freePort } from '../helpers/child-server.js';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * The installable package, as an administrator gets it: `npm pack` (which
 * builds through `prepack`), then `npm install -g <tgz> --omit=dev` into a
 * prefix of its own, then `anemone serve` from that prefix answers /health.
 * It compiles better-sqlite3 when no prebuilt binary is reachable, so it
 * takes minutes: CI runs it (CI=true, a required check); elsewhere
 * ANEMONE_PACKAGE_TEST=1 does.
 */
const RUN = Boolean(process.env.CI) || process.env.ANEMONE_PACKAGE_TEST === '1';
const DEV_ONLY = ['typescript', 'tsx', 'vite', 'eslint', 'react', 'playwright-core'];
/** What the checkout holds that the package must neither build from nor ship. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', 'data', 'coverage', 'bench']);

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

describe('the npm package', { skip: RUN ? false : 'takes minutes: runs in CI (CI=true) or with ANEMONE_PACKAGE_TEST=1' }, () => {
  let scratch: string;
  let packed: { filename: string; files: { path: string }[] };
  let prefix: string;
  let server: ChildProcess | undefined;
  // the running node's own headers: better-sqlite3 compiles against the Node that will load it (CI runs Node 20 and 24)
  const npmEnv = { npm_config_nodedir: path.resolve(path.dirname(process.execPath), '..'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

  before(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'anemone-package-'));
    // packed from a copy, so its build (prepack) never rewrites the dist/ other tests serve the UI from
    const checkout = path.join(scratch, 'checkout');
    await cp(REPO_ROOT, checkout, { recursive: true, filter: (source) => !NOT_COPIED.has(path.relative(REPO_ROOT, source).split(path.sep)[0] ?? '') });
    await symlink(await realpath(path.join(REPO_ROOT, 'node_modules')), path.join(checkout, 'node_modules'));
    const output = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: checkout, env: npmEnv });
    packed = (JSON.parse(output.slice(output.indexOf('[\n'))) as (typeof packed)[])[0] as typeof packed;
    prefix = path.join(scratch, 'prefix');
    await run('npm', ['install', '--global', '--omit=dev', '--prefer-offline', '--prefix', prefix, path.join(scratch, packed.filename)], { cwd: scratch, env: npmEnv });
  });

  after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server?.once('exit', resolve));
    }
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('holds the built server, the built web UI and the deployment files, and no sources or tests', () => {
    const files = packed.files.map((file) => file.path);
    for (const needed of ['bin/anemone.js', 'dist/cli/main.js', 'dist/web/index.html', 'contrib/anemone.service', 'docs/install.md', 'package.json', 'LICENSE', 'README.md']) {
      assert.ok(files.includes(needed), `${needed} is not in the package`);
    }
    assert.deepEqual(files.filter((file) => file.startsWith('src/') || file.startsWith('test/') || file.endsWith('.ts') || file.endsWith('.map')), []);
  });

  it('installs without development dependencies', async () => {
    const installed = await readdir(path.join(prefix, 'lib', 'node_modules', 'anemone', 'node_modules'));
    assert.ok(installed.includes('better-sqlite3') && installed.includes('fastify'));
    assert.deepEqual(DEV_ONLY.filter((name) => installed.includes(name)), []);
  });

  it('starts with `anemone serve` from the prefix and answers /health over HTTPS', async () => {
    const port = await freePort();
    const dataDir = path.join(scratch, 'data');
    const anemone = path.join(prefix, 'bin', 'anemone');
    const version = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    assert.equal((await run(anemone, ['--version'], { cwd: scratch })).trim(), version);
    // started away from the checkout, as an installed command is
    let output = '';
    const child = spawn(anemone, ['serve', '--data-dir', dataDir, '--port', String(port), '--bind', '127.0.0.1', '--log-level', 'warn'], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    let health: { status: number; text: string } | undefined;
    let page = '';
    while (!health) {
      assert.equal(child.exitCode, null, `anemone serve exited:\n${output}`);
      assert.ok(Date.now() < deadline, `anemone serve did not answer:\n${output}`);
      try {
        const agent = new Agent({ connect: { ca: await readFile(path.join(dataDir, 'certs', 'server.crt'), 'utf8') } });
        const response = await fetch(`https://127.0.0.1:${port}/health`, { dispatcher: agent });
        health = { status: response.status, text: await response.text() };
        page = await (await fetch(`https://127.0.0.1:${port}/`, { dispatcher: agent })).text();
        await agent.close();
      } catch {
        await delay(200);
      }
    }
    assert.deepEqual(health, { status: 200, text: 'OK' });
    assert.match(page, /<div id="root">/, 'the built web UI is served from the package');
  });
});
