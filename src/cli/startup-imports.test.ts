import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The packages a module pulls in when it loads: its static imports (not `import type`, not `await import()`), followed through the project's own files. */
function staticPackages(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'|^import\s+'([^']+)'/gms)) {
      const specifier = (match[1] ?? match[2]) as string;
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
      else if (!specifier.startsWith('node:') && !packages.has(specifier)) packages.set(specifier, path.basename(file));
    }
  };
  visit(entry);
  return packages;
}

describe('what the server loads at start', () => {
  it('leaves out the packages only some servers or commands use: they load on first use', () => {
    // the CLI, then the server `serve` loads once the memory mode's restart is decided
    const packages = new Map([...staticPackages(fileURLToPath(new URL('./main.ts', import.meta.url))), ...staticPackages(fileURLToPath(new URL('../app.ts', import.meta.url)))]);
    // the check sees the server's own packages at all
    assert.ok(packages.has('fastify') && packages.has('better-sqlite3'), [...packages.keys()].join(', '));
    for (const onUse of ['@aws-sdk/client-s3', 'nodemailer', 'selfsigned', 'cli-progress', 'webdav-server', '@tus/server', '@tus/file-store']) {
      assert.equal(packages.get(onUse), undefined, `${onUse} is imported at start by ${packages.get(onUse)}`);
    }
  });
});
