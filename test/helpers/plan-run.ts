import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ManifestContext } from '../../src/crypto/index.js';
import type { LocalFileState } from '../../src/manifest/diff.js';
import { resolveShareRoot } from '../../src/scan/open-share-file.js';
import { executePlan, type ExecutePlanInput, type ExecutePlanResult } from '../../src/sync/execute-plan.js';
import { PeerManifestWriter, fetchPeerManifest } from '../../src/sync/peer-manifest.js';
import { planShareSync } from '../../src/sync/plan-share.js';
import type { InMemoryPeer } from './in-memory-peer.js';

/** What the scan would report for these files of the share. */
export function localState(root: string, relPaths: string[]): Map<string, LocalFileState> {
  return new Map(
    relPaths.map((relPath) => {
      const file = path.join(root, relPath);
      const stats = statSync(file);
      return [relPath, { size: stats.size, mtimeMs: stats.mtimeMs, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') }];
    }),
  );
}

/** One run of the planner and the executor against `peer`, as runShareSync composes them; `extra` overrides the executor's input. */
export async function runPlanOnce(
  run: { peer: InMemoryPeer; root: string; relPaths: string[]; userKey: Buffer; context: ManifestContext },
  extra: Partial<ExecutePlanInput> = {},
): Promise<ExecutePlanResult> {
  const { peer, root, userKey, context } = run;
  const deps = { session: peer, userKey, context, lastGeneration: undefined, force: false, onManifestState: () => undefined };
  const fetched = await fetchPeerManifest(deps, undefined);
  const plan = planShareSync({ local: localState(root, run.relPaths), remote: fetched.known?.manifest.files ?? null, shareLabel: `${context.user}/${context.share}`, unread: [], shareMissing: false });
  const manifests = new PeerManifestWriter({ ...deps, now: () => new Date(), onGenerationWritten: () => undefined }, fetched, plan.startNextManifest());
  return executePlan({
    plan,
    session: peer,
    context,
    shareId: 1,
    shareRoot: await resolveShareRoot(root),
    userKey,
    manifests,
    hashes: { apply: () => undefined },
    signal: new AbortController().signal,
    onProgress: () => undefined,
    ...extra,
  });
}
