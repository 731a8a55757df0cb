#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's test runner (through tsx).
// Node 20's runner takes no globs, so the files are listed here.
// A file may take up to ten minutes: the package test (test/package/) builds, packs and compiles better-sqlite3.
// Arguments narrow the run: `npm test -- src/crypto test/integration/accounts.test.ts`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src', 'test'];

function testFiles(entry) {
  if (!statSync(entry).isDirectory()) return entry.endsWith('.test.ts') ? [entry] : [];
  return readdirSync(entry, { withFileTypes: true })
    .filter((child) => !child.name.startsWith('.') && child.name !== 'node_modules')
    .flatMap((child) => testFiles(path.join(entry, child.name)));
}

const files = roots.flatMap(testFiles).sort();
if (files.length === 0) {
  console.error(`No test files under ${roots.join(', ')}`);
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
