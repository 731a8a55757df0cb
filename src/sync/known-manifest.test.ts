import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PeerManifestHead, PeerManifestRow } from '../db/index.js';
import { ManifestState } from '../manifest/manifest-state.js';
import { serializeManifest, type Manifest } from '../manifest/manifest.js';
import { loadKnownManifest, UnreadableCopyError } from './known-manifest.js';

const digest = (digit: string) => digit.repeat(64);
const manifest: Manifest = {
  version: 1,
  sourceServer: 'home',
  user: 'alice',
  share: 'backup',
  generation: 4,
  createdAt: '2026-12-05T10:00:00.000Z',
  files: {
    'a.txt': { size: 3, mtimeMs: 1765000000000.5, sha256: digest('a'), ctSha256: digest('b') },
    // a name of several UTF-8 bytes a character
    'Fotos/Sommer — Zürich 東京.jpg': { size: 4096, mtimeMs: 1765000000001, sha256: digest('c'), ctSha256: digest('d') },
  },
};
const head: PeerManifestHead = { generation: 4, baseBytes: 900, journalCount: 1, journalBytes: 200, journals: true, cacheVersion: 7 };

/** A repo that holds one copy as the database returns it (its pieces: the bytes in one unless given), and counts the reads of its joined bytes. */
function repoWith(row: PeerManifestRow | undefined, pieces: Buffer[] = row ? [row.manifest] : []) {
  const repo = {
    reads: 0,
    pieceReads: 0,
    forgotten: 0,
    findHead: () => head,
    pieces: () => {
      repo.pieceReads++;
      return pieces.values();
    },
    find: () => {
      repo.reads++;
      return row;
    },
    forget: () => {
      repo.forgotten++;
    },
  };
  return repo;
}

describe('the source\'s copy of the peer\'s manifest, read back', () => {
  it('reads and parses the copy on the first use of its manifest only, once, with every name as it was saved', () => {
    const repo = repoWith({ ...head, manifest: serializeManifest(manifest) });
    const known = loadKnownManifest(repo, 1, 1);
    assert.ok(known);
    assert.equal(known.generation, 4);
    assert.equal(repo.reads + repo.pieceReads, 0, 'the generation needs no read of the bytes');
    assert.deepEqual(known.manifest, manifest);
    assert.deepEqual(known.manifest.files, manifest.files);
    assert.equal(repo.pieceReads, 1);
    assert.equal(repo.reads, 0, 'a copy in one piece is parsed from that piece, its bytes not read a second time');
    assert.equal(repo.forgotten, 0);
  });

  it('parses a copy saved in pieces one piece at a time, without joining its bytes', () => {
    const state = new ManifestState(manifest.files);
    const { files: _files, ...envelope } = manifest;
    const json = serializeManifest(manifest);
    // split after the first entry, as serializedPieces splits a larger manifest
    const cut = json.indexOf(',"Fotos/');
    const pieces = [json.subarray(0, cut), json.subarray(cut)];
    assert.deepEqual(Buffer.concat(pieces), Buffer.concat([...state.serializedPieces(envelope)]));
    const repo = repoWith({ ...head, manifest: json }, pieces);
    const known = loadKnownManifest(repo, 1, 1);
    assert.deepEqual(known?.manifest, manifest);
    assert.equal(repo.pieceReads, 1);
    assert.equal(repo.reads, 0, 'the joined bytes are never read');
    assert.equal(repo.forgotten, 0);
  });

  it('forgets a copy that is not JSON, and says it cannot be read', () => {
    const repo = repoWith({ ...head, manifest: Buffer.from('{"version":1,"files":{') });
    const known = loadKnownManifest(repo, 1, 1);
    assert.throws(() => known?.manifest, (error) => error instanceof UnreadableCopyError);
    assert.equal(repo.forgotten, 1);
  });

  it('forgets a copy removed between its head and its bytes, and says it cannot be read', () => {
    const repo = repoWith(undefined);
    const known = loadKnownManifest(repo, 1, 1);
    assert.throws(
      () => known?.manifest,
      (error) => error instanceof UnreadableCopyError && /removed/.test(String((error as Error).cause)),
    );
    assert.equal(repo.forgotten, 1);
  });

  it('forgets a copy whose bytes hold another generation than its head', () => {
    const repo = repoWith({ ...head, manifest: serializeManifest({ ...manifest, generation: 3 }) });
    const known = loadKnownManifest(repo, 1, 1);
    assert.throws(
      () => known?.manifest,
      (error) => error instanceof UnreadableCopyError && /generation 3, not 4/.test(String((error as Error).cause)),
    );
    assert.equal(repo.forgotten, 1);
  });
});
