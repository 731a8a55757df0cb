import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { InMemoryPeer } from '../../test/helpers/in-memory-peer.js';
import { ManifestState } from '../manifest/manifest-state.js';
import type { ManifestFile } from '../manifest/manifest.js';
import { openSealedDelta } from '../manifest/sealed-manifest.js';
import type { KnownManifest, SerializedKnownManifest } from './known-manifest.js';
import { parseManifest } from '../manifest/manifest.js';
import { fetchPeerManifest, PeerManifestWriter } from './peer-manifest.js';

const userKey = randomBytes(32);
const context = { sourceServer: 'home', user: 'alice', share: 'backup' };
const sha = (n: number) => createHash('sha256').update(String(n)).digest('hex');
const entry = (n: number): ManifestFile => ({ size: n, mtimeMs: n, sha256: sha(n), ctSha256: sha(n + 1) });

/** A writer for one run against `peer`, counting the copies it saves and the generations it records. */
async function runAgainst(peer: InMemoryPeer, known: KnownManifest | undefined) {
  const saved: (KnownManifest | SerializedKnownManifest | undefined)[] = [];
  const generations: number[] = [];
  const deps = { session: peer, userKey, context, lastGeneration: known?.manifest.generation, force: false, onManifestState: (state: KnownManifest | SerializedKnownManifest | undefined) => saved.push(state) };
  const fetched = await fetchPeerManifest(deps, known);
  // what the fetch saved is not the writer's
  saved.length = 0;
  const next = new ManifestState(fetched.known?.manifest.files ?? null);
  const writer = new PeerManifestWriter({ ...deps, now: () => new Date(), onGenerationWritten: (generation) => generations.push(generation) }, fetched, next);
  return { writer, saved, generations, next };
}

/** A saved copy as loadKnownManifest reads it back. */
function reread(copy: KnownManifest | SerializedKnownManifest | undefined): KnownManifest {
  assert.ok(copy, 'no copy saved');
  if (!('jsonPieces' in copy)) return copy;
  const { jsonPieces, generation, ...sizes } = copy;
  const manifest = parseManifest(Buffer.concat([...jsonPieces()]));
  assert.equal(manifest.generation, generation);
  return { manifest, ...sizes };
}

/** The deltas of the peer's journal, opened. */
async function journal(peer: InMemoryPeer) {
  const stored = await peer.fetchManifest();
  assert.equal(stored.kind, 'stored');
  return stored.kind === 'stored' ? stored.deltas.map((delta) => openSealedDelta(userKey, context, delta)) : [];
}

describe('PeerManifestWriter', () => {
  it('sends at each checkpoint only what arrived since the previous write, and saves the copy once, after the final manifest', async () => {
    const peer = new InMemoryPeer({ userKey, context });
    // a first run: 100 files, one full manifest
    const first = await runAgainst(peer, undefined);
    for (let i = 0; i < 100; i += 1) first.writer.record(`f${i}`, entry(i));
    await first.writer.write({ deletions: [] });
    assert.equal(first.saved.length, 1);
    const known = reread(first.saved[0]);
    assert.equal(Object.keys(known.manifest.files).length, 100);

    // the next run: two checkpoints and the final manifest, each a delta of its own changes
    const run = await runAgainst(peer, known);
    run.writer.record('new-1', entry(1001));
    await run.writer.write();
    run.writer.record('new-2', entry(1002));
    run.writer.record('f3', entry(1003));
    await run.writer.write();
    // nothing arrived since: no manifest
    await run.writer.write();
    assert.equal(run.saved.length, 0, 'a checkpoint saved the whole copy');
    await run.writer.write({ deletions: ['f7'] });

    const deltas = await journal(peer);
    assert.deepEqual(
      deltas.map((delta) => [delta.baseGeneration, delta.generation, Object.keys(delta.files).sort(), delta.deleted]),
      [
        [1, 2, ['new-1'], []],
        [2, 3, ['f3', 'new-2'], []],
        [3, 4, [], ['f7']],
      ],
    );
    assert.deepEqual(run.generations, [2, 3, 4]);
    assert.equal(run.writer.generation, 4);

    // the copy saved once, at the peer's generation and with its files
    assert.equal(run.saved.length, 1);
    const copy = reread(run.saved[0]);
    assert.equal(copy.manifest.generation, 4);
    assert.deepEqual(copy.journal.count, 3);
    const files = copy.manifest.files ?? {};
    assert.equal(Object.keys(files).length, 101);
    assert.deepEqual(files['f3'], entry(1003));
    assert.equal(Object.hasOwn(files, 'f7'), false);
    // and it is what the peer holds
    const onPeer = await fetchPeerManifest({ session: peer, userKey, context, lastGeneration: 4, force: true, onManifestState: () => undefined }, undefined);
    assert.deepEqual(onPeer.known?.manifest.files, files);
  });

  it('writes a checkpoint whose new files would fold as a full manifest without building its delta, and a small one as a delta', async () => {
    const peer = new InMemoryPeer({ userKey, context });
    // a first sync: the peer holds nothing
    const run = await runAgainst(peer, undefined);
    const { next } = run;
    let deltasBuilt = 0;
    const takeChanges = next.takeChanges.bind(next);
    next.takeChanges = () => {
      deltasBuilt += 1;
      return takeChanges();
    };
    for (let i = 0; i < 20; i += 1) run.writer.record(`f${i}`, entry(i));
    await run.writer.write();
    // 20 more: their entries alone outweigh a quarter of the manifest the peer holds
    for (let i = 20; i < 40; i += 1) run.writer.record(`f${i}`, entry(i));
    await run.writer.write();
    assert.equal(deltasBuilt, 0, 'a delta was built for a write that went whole');
    assert.deepEqual(await journal(peer), []);
    // one more file: a delta
    run.writer.record('f40', entry(40));
    await run.writer.write();
    assert.equal(deltasBuilt, 1);
    // nothing since: no manifest at all
    await run.writer.write({ deletions: [] });
    assert.deepEqual(run.generations, [1, 2, 3]);
    assert.deepEqual(
      peer.manifests.map((manifest) => Object.keys(manifest.files).length),
      [20, 40, 41],
    );
    const deltas = await journal(peer);
    assert.deepEqual(deltas.map((delta) => [delta.baseGeneration, delta.generation, Object.keys(delta.files)]), [[2, 3, ['f40']]]);
    const onPeer = await fetchPeerManifest({ session: peer, userKey, context, lastGeneration: 3, force: true, onManifestState: () => undefined }, undefined);
    assert.deepEqual(Object.keys(onPeer.known?.manifest.files ?? {}).length, 41);
    assert.deepEqual(onPeer.known?.manifest.files['f33'], entry(33));
    assert.equal(reread(run.saved[0]).manifest.generation, 3);
  });

  it('holds the manifest still while a full one is sealed as the peer reads it: what arrives meanwhile goes with the next write', async () => {
    const peer = new InMemoryPeer({ userKey, context });
    const run = await runAgainst(peer, undefined);
    for (let i = 0; i < 20; i += 1) run.writer.record(`f${i}`, entry(i));
    // the first write is a full manifest: the peer reads it after this turn, while another file arrives
    const writing = run.writer.write();
    run.writer.record('late', entry(99));
    await writing;
    await run.writer.write({ deletions: [] });

    const listed = peer.manifests.map((manifest) => [manifest.generation, Object.keys(manifest.files).length, Object.hasOwn(manifest.files, 'late')]);
    assert.deepEqual(listed, [
      [1, 20, false],
      [2, 21, true],
    ]);
    assert.deepEqual(
      (await journal(peer)).map((delta) => Object.keys(delta.files)),
      [['late']],
    );
    assert.equal(Object.keys(reread(run.saved[0]).manifest.files).length, 21);
  });

  it('a run that ends after its checkpoints leaves the older copy, which the next run finds stale and replaces by the peer\'s', async () => {
    const peer = new InMemoryPeer({ userKey, context });
    const first = await runAgainst(peer, undefined);
    first.writer.record('a', entry(1));
    await first.writer.write({ deletions: [] });
    const known = reread(first.saved[0]);

    const cut = await runAgainst(peer, known);
    cut.writer.record('b', entry(2));
    await cut.writer.write();
    // the run stops here: no final write
    assert.equal(cut.saved.length, 0);

    const saved: (KnownManifest | SerializedKnownManifest | undefined)[] = [];
    const deps = { session: peer, userKey, context, lastGeneration: 2, force: false, onManifestState: (state: KnownManifest | SerializedKnownManifest | undefined) => saved.push(state) };
    const fetched = await fetchPeerManifest(deps, known);
    assert.equal(fetched.known?.manifest.generation, 2);
    assert.deepEqual(Object.keys(fetched.known.manifest.files).sort(), ['a', 'b']);
    assert.equal(saved.length, 1, 'the fetched manifest replaced the stale copy');
  });
});
