// Regenerates the error tables of docs/troubleshooting.md from the error catalogue and the peer
// client's errors, so the docs say exactly what the UI and the logs say: `npm run docs:errors`.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCatalogue } from '../src/errors/catalogue.js';
import { describePeerError, peerErrorCodeOf, peerErrorKinds } from '../src/peer-client/index.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const TROUBLESHOOTING = path.join(repoRoot, 'docs', 'troubleshooting.md');
const START = '<!-- generated:error-tables:start (npm run docs:errors) -->';
const END = '<!-- generated:error-tables:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function errorTables(): string {
  const api = Object.entries(errorCatalogue).map(([code, entry]) => `| \`${code}\` | ${entry.status} | ${cell(entry.message)} | ${cell(entry.hint)} |`);
  const peer = peerErrorKinds.map((kind) => {
    const { message, hint } = describePeerError(kind, { address: 'peer.example', port: 8443 });
    return `| \`${peerErrorCodeOf[kind]}\` | ${cell(message)} | ${cell(hint)} |`;
  });
  return [
    START,
    '',
    '### Errors of this server (API, web pages, sync logs)',
    '',
    '| code | HTTP | what happened | what to do |',
    '|---|---|---|---|',
    ...api,
    '',
    '### Errors talking to a peer (Test Connection, sync logs)',
    '',
    'The words this server shows when a peer fails, for a peer at `peer.example:8443` (the real messages name your peer). Some codes are also in the table above: there, the words are those of this server as a peer.',
    '',
    '| code | what happened | what to do |',
    '|---|---|---|',
    ...peer,
    '',
    END,
  ].join('\n');
}

/** The troubleshooting page with its generated tables brought up to date. */
export async function renderTroubleshooting(): Promise<string> {
  const current = await readFile(TROUBLESHOOTING, 'utf8');
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  if (start < 0 || end < 0) throw new Error(`${TROUBLESHOOTING} lacks the generated-table markers`);
  return current.slice(0, start) + errorTables() + current.slice(end + END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await writeFile(TROUBLESHOOTING, await renderTroubleshooting());
  console.log(`wrote ${path.relative(process.cwd(), TROUBLESHOOTING)}`);
}
