import assert from 'node:assert/strict';
import { access, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

async function anchorsOf(file: string): Promise<Set<string>> {
  const text = await readFile(file, 'utf8');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1] as string)));
}

async function markdownFiles(): Promise<string[]> {
  const docs = (await readdir(path.join(REPO_ROOT, 'docs'), { recursive: true })).filter((name) => name.endsWith('.md')).map((name) => path.join(REPO_ROOT, 'docs', name));
  return [path.join(REPO_ROOT, 'README.md'), ...docs];
}

describe('links between the docs', () => {
  it('point to files that exist and headings that exist', async () => {
    const broken: string[] = [];
    for (const file of await markdownFiles()) {
      const text = (await readFile(file, 'utf8')).replace(/```[\s\S]*?```/g, '');
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1] as string;
        if (/^[a-z]+:/i.test(target)) continue;
        const [filePart, anchor] = target.split('#') as [string, string | undefined];
        const resolved = filePart === '' ? file : path.resolve(path.dirname(file), filePart);
        const where = `${path.relative(REPO_ROOT, file)} → ${target}`;
        if (!(await access(resolved).then(() => true, () => false))) {
          broken.push(`${where}: no such file`);
          continue;
        }
        if (anchor && resolved.endsWith('.md') && !(await anchorsOf(resolved)).has(anchor)) broken.push(`${where}: no such heading`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
