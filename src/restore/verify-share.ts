import { createHash, randomInt } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptStream, encryptedLength, fileInfo } from '../crypto/index.js';
import { type Manifest, type ManifestFile } from '../manifest/manifest.js';
import { openPeerManifest } from '../manifest/sealed-manifest.js';
import { storedNameFor } from '../manifest/stored-names.js';
import type { PeerClient } from '../peer-client/peer-client.js';

/** Lists in a report stop at this many paths; the counts stay exact. */
const MAX_LISTED = 1000;

export interface SampleFailure {
  path: string;
  reason: string;
}

/** What one share's backup on one peer looks like against its manifest. */
export interface ShareVerifyReport {
  user: string;
  share: string;
  /** `ok`: every file is there with the right bytes; `problems`: some are missing, altered or failed the sample; `no-backup`: the peer holds no manifest; `error`: it could not be checked. */
  status: 'ok' | 'problems' | 'no-backup' | 'error';
  generation: number | null;
  /** Files the manifest lists. */
  files: number;
  /** Files stored with the size and ciphertext SHA-256 the manifest records. */
  okCount: number;
  missingCount: number;
  alteredCount: number;
  /** Stored files the manifest does not list (left by an interrupted sync, say): harmless for a restore. */
  extraCount: number;
  missing: string[];
  altered: string[];
  extra: string[];
  sample: { checked: number; ok: number; failed: SampleFailure[] };
  error: { code: string; message: string; hint: string } | null;
}

export interface VerifyShareInput {
  client: Pick<PeerClient, 'fetchManifest' | 'listFiles' | 'hashFiles' | 'getFile'>;
  userKey: Buffer;
  serverName: string;
  user: string;
  share: string;
  /** Files to download and decrypt entirely, picked at random among those that passed the hash check. */
  sample: number;
  signal?: AbortSignal | undefined;
}

/**
 * Checks one share on a peer without downloading it: the peer lists what it
 * stores and hashes it (hashFiles); every stored name, size and ciphertext
 * SHA-256 is compared with the manifest. A sample of files is then
 * downloaded and decrypted in full — every chunk's tag, the plaintext SHA-256
 * and size — which also catches a peer that hashes one thing and serves another.
 */
export async function verifyShare(input: VerifyShareInput): Promise<ShareVerifyReport> {
  const report = emptyReport(input.user, input.share);
  const options = { signal: input.signal };
  const fetched = await input.client.fetchManifest(input.user, input.share, options);
  if (fetched.kind !== 'stored') return { ...report, status: 'no-backup' };
  const manifest = openPeerManifest(input.userKey, { sourceServer: input.serverName, user: input.user, share: input.share }, fetched, undefined);
  report.generation = manifest.generation;

  const entries = Object.entries(manifest.files).map(([relPath, entry]) => ({ relPath, entry, storedPath: storedNameFor(relPath) }));
  report.files = entries.length;
  const stored = new Map((await input.client.listFiles(input.user, input.share, options)).map((file) => [file.path, file.size]));
  const present = entries.filter((file) => stored.has(file.storedPath));
  const hashes = new Map(
    (await input.client.hashFiles(input.user, input.share, present.map((file) => file.storedPath), options)).map((file) => [file.path, file]),
  );

  const good: typeof entries = [];
  for (const file of entries) {
    const hashed = hashes.get(file.storedPath);
    if (!stored.has(file.storedPath) || !hashed) {
      report.missingCount += 1;
      listed(report.missing, file.relPath);
    } else if (hashed.sha256 !== file.entry.ctSha256 || hashed.size !== encryptedLength(file.entry.size)) {
      report.alteredCount += 1;
      listed(report.altered, file.relPath);
    } else {
      good.push(file);
    }
  }
  report.okCount = good.length;
  const listedNames = new Set(entries.map((file) => file.storedPath));
  for (const storedPath of stored.keys()) {
    if (listedNames.has(storedPath)) continue;
    report.extraCount += 1;
    listed(report.extra, storedPath);
  }

  for (const file of pickRandom(good, input.sample)) {
    report.sample.checked += 1;
    const failure = await checkSample(input, manifest, file.relPath, file.entry);
    if (failure === undefined) report.sample.ok += 1;
    else report.sample.failed.push({ path: file.relPath, reason: failure });
  }
  report.status = report.missingCount + report.alteredCount + report.sample.failed.length > 0 ? 'problems' : 'ok';
  return report;
}

export function emptyReport(user: string, share: string): ShareVerifyReport {
  return {
    user,
    share,
    status: 'ok',
    generation: null,
    files: 0,
    okCount: 0,
    missingCount: 0,
    alteredCount: 0,
    extraCount: 0,
    missing: [],
    altered: [],
    extra: [],
    sample: { checked: 0, ok: 0, failed: [] },
    error: null,
  };
}

/** Downloads one file and decrypts it fully; undefined when every check passed, else why not. */
async function checkSample(input: VerifyShareInput, manifest: Manifest, relPath: string, entry: ManifestFile): Promise<string | undefined> {
  const ciphertextHash = createHash('sha256');
  const plaintextHash = createHash('sha256');
  let plaintextBytes = 0;
  try {
    const body = await input.client.getFile(input.user, input.share, storedNameFor(relPath), { signal: input.signal });
    await pipeline(
      body,
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          ciphertextHash.update(chunk);
          done(null, chunk);
        },
      }),
      createDecryptStream(input.userKey, fileInfo({ sourceServer: manifest.sourceServer, user: manifest.user, share: manifest.share, relPath })),
      async (plaintext: AsyncIterable<Buffer>) => {
        for await (const chunk of plaintext) {
          plaintextHash.update(chunk);
          plaintextBytes += chunk.length;
        }
      },
    );
  } catch (error) {
    return `could not be downloaded and decrypted: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (ciphertextHash.digest('hex') !== entry.ctSha256) return 'the peer served other bytes than it hashed';
  if (plaintextBytes !== entry.size) return `decrypted to ${plaintextBytes} bytes, the manifest says ${entry.size}`;
  if (plaintextHash.digest('hex') !== entry.sha256) return "decrypted, but its SHA-256 does not match the manifest's";
  return undefined;
}

/** Up to `count` items chosen uniformly at random (a partial Fisher–Yates shuffle). */
function pickRandom<T>(items: readonly T[], count: number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  for (let index = 0; index < Math.min(count, pool.length); index++) {
    const chosen = index + randomInt(pool.length - index);
    [pool[index], pool[chosen]] = [pool[chosen] as T, pool[index] as T];
    picked.push(pool[index] as T);
  }
  return picked;
}

function listed(list: string[], item: string): void {
  if (list.length < MAX_LISTED) list.push(item);
}
