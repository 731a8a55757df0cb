import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildProgram } from '../../src/cli/main.js';
import { configKeys } from '../../src/config/config.js';
import { freePort } from '../helpers/child-server.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { startTestServer } from '../helpers/test-server.js';

/**
 * Docker is not available where the tests run, so these check what can be
 * checked without it: the Dockerfile, compose.yaml and the systemd unit name
 * real commands, paths and settings, keep their hardening, and the image's
 * HEALTHCHECK command really tells a running server from a stopped one.
 */
const read = (file: string) => readFile(path.join(REPO_ROOT, file), 'utf8');
const packageJson = async () => JSON.parse(await read('package.json')) as { bin: Record<string, string>; scripts: Record<string, string> };
const ENV_NAMES = new Set<string>(Object.values(configKeys).map((entry) => entry.env));
/** The settings a deployment file names: each must be one the server reads. */
const settingsNamed = (text: string) => [...new Set([...text.matchAll(/\b(ANEMONE_[A-Z_]+|HTTPS_PORT|TLS_(?:CERT|KEY)_PATH)\b/g)].map((match) => match[1] as string))];

/** The stages of a Dockerfile, each as its lines (continuations joined). */
function dockerStages(dockerfile: string): string[][] {
  const lines = dockerfile.replace(/\\\n\s*/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const stages: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('FROM ')) stages.push([]);
    stages.at(-1)?.push(line);
  }
  return stages;
}

function instruction(stage: string[], name: string): string[] {
  return stage.filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1).trim());
}

describe('the Dockerfile', () => {
  it('builds the package with dev dependencies, then installs it without them', async () => {
    const stages = dockerStages(await read('Dockerfile'));
    assert.ok(stages.length >= 2, 'multi-stage');
    const build = (stages[0] as string[]).join('\n');
    assert.match(build, /RUN npm ci\b/);
    assert.match(build, /npm pack\b/);
    assert.equal((await packageJson()).scripts.prepack, 'npm run build', 'npm pack builds the server and the UI');
    assert.ok(stages.some((stage) => stage.some((line) => /npm install --global --omit=dev .*--prefix \/opt\/anemone/.test(line))));
  });

  it('runs on Node 24 slim as a user of its own, with /data as a volume, and starts `anemone serve` from the installed package', async () => {
    const runtime = dockerStages(await read('Dockerfile')).at(-1) as string[];
    assert.deepEqual(instruction(runtime, 'FROM'), ['node:24-slim']);
    const user = instruction(runtime, 'USER')[0];
    assert.ok(user && user !== 'root' && user !== '0', `USER ${user}`);
    assert.deepEqual(instruction(runtime, 'VOLUME'), ['/data']);
    assert.match(instruction(runtime, 'ENV').join(' '), /ANEMONE_DATA_DIR=\/data\b/);
    assert.match(instruction(runtime, 'ENV').join(' '), /HTTPS_PORT=8443\b/);
    assert.deepEqual(instruction(runtime, 'EXPOSE'), ['8443']);
    const [binName] = Object.keys((await packageJson()).bin);
    assert.deepEqual(JSON.parse(instruction(runtime, 'ENTRYPOINT')[0] as string), [`/opt/anemone/bin/${binName}`]);
    const [command] = JSON.parse(instruction(runtime, 'CMD')[0] as string) as string[];
    assert.ok(buildProgram().commands.some((cli) => cli.name() === command), `CMD ${command} is a command of the CLI`);
    assert.equal(runtime.some((line) => /apt-get install .*(g\+\+|make)/.test(line)), false, 'no compiler in the image that runs');
    assert.deepEqual(settingsNamed(await read('Dockerfile')).filter((name) => !ENV_NAMES.has(name)), []);
  });

  it("has a HEALTHCHECK that asks /health with node itself, passing on a running server and failing on a stopped one", async () => {
    const runtime = dockerStages(await read('Dockerfile')).at(-1) as string[];
    const healthcheck = instruction(runtime, 'HEALTHCHECK')[0] as string;
    const [node, ...args] = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    assert.equal(node, 'node', 'no curl in the image');
    // not spawnSync: the server answering the probe runs in this process
    const probe = (port: number) =>
      new Promise<number | null>((resolve) => spawn(process.execPath, args, { env: { ...process.env, HTTPS_PORT: String(port) }, stdio: 'ignore', timeout: 20_000 }).once('exit', resolve));
    const server = await startTestServer();
    try {
      assert.equal(await probe(Number(new URL(server.url).port)), 0);
    } finally {
      await server.stop();
    }
    assert.equal(await probe(await freePort()), 1);
  });

  it('leaves the checkout\'s build output and dependencies out of the build context', async () => {
    const ignored = (await read('.dockerignore')).split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', 'data', '.git']) assert.ok(ignored.includes(entry), entry);
  });
});

describe('compose.yaml', () => {
  it('builds this Dockerfile and keeps the data in a volume at /data, on port 8443', async () => {
    const compose = await read('compose.yaml');
    assert.match(compose, /^\s+build: \.$/m);
    assert.match(compose, /^\s+- "8443:8443"$/m);
    assert.match(compose, /^\s+- anemone-data:\/data$/m);
    assert.match(compose, /^\s+ANEMONE_DATA_DIR: \/data$/m);
    assert.match(compose, /no-new-privileges:true/);
    assert.deepEqual(settingsNamed(compose).filter((name) => !ENV_NAMES.has(name)), []);
  });
});

describe('contrib/anemone.service', () => {
  const directives = (unit: string, name: string) => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((match) => (match[1] as string).trim());

  it('starts the installed command and is hardened, with only the data directory writable', async () => {
    const unit = await read('contrib/anemone.service');
    const [binName] = Object.keys((await packageJson()).bin);
    assert.deepEqual(directives(unit, 'ExecStart'), [`/usr/local/bin/${binName} serve`]);
    assert.deepEqual(directives(unit, 'NoNewPrivileges'), ['yes']);
    assert.deepEqual(directives(unit, 'ProtectSystem'), ['strict']);
    assert.deepEqual(directives(unit, 'PrivateTmp'), ['yes']);
    assert.deepEqual(directives(unit, 'ProtectHome'), ['yes']);
    assert.deepEqual(directives(unit, 'UMask'), ['0077']);
    assert.deepEqual(directives(unit, 'Restart'), ['on-failure']);
    const user = directives(unit, 'User')[0];
    assert.ok(user && user !== 'root', `User=${user}`);
    const dataDir = directives(unit, 'Environment').map((value) => /^ANEMONE_DATA_DIR=(.+)$/.exec(value)?.[1]).find(Boolean);
    assert.equal(dataDir, '/var/lib/anemone');
    assert.deepEqual(directives(unit, 'ReadWritePaths'), [dataDir]);
    assert.deepEqual(directives(unit, 'StateDirectory'), [path.basename(dataDir as string)], 'systemd makes the data directory, owned by the user');
    assert.deepEqual(settingsNamed(unit).filter((name) => !ENV_NAMES.has(name)), []);
  });

  it("caps glibc's malloc arenas at two in the unit and the image, as the bench measured it", async () => {
    // glibc reads it when the process starts: the server cannot set it for itself
    assert.ok(directives(await read('contrib/anemone.service'), 'Environment').includes('MALLOC_ARENA_MAX=2'));
    const runtime = dockerStages(await read('Dockerfile')).at(-1) ?? [];
    assert.match(instruction(runtime, 'ENV').join(' '), /\bMALLOC_ARENA_MAX=2\b/);
    // the README's first command: the environment's own value wins
    const scripts = (JSON.parse(await read('package.json')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts['start'] ?? '', /MALLOC_ARENA_MAX=\$\{MALLOC_ARENA_MAX:-2\} node bin\/anemone\.js serve/);
  });
});
