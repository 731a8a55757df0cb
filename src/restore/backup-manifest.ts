/** A share's manifest as a peer holds it, decrypted with the user's key and checked before anything is shown or restored from it. */
import { decryptBuffer, manifestInfo, type ManifestContext } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { parseManifest, type Manifest } from '../manifest/manifest.js';
import type { PeerClient } from '../peer-client/index.js';
import { PeerError } from '../peer-client/index.js';
import { fromPeerError } from './restore-errors.js';

export interface FetchManifestInput {
  client: Pick<PeerClient, 'getManifest'>;
  context: ManifestContext;
  userKey: Buffer;
  /** The highest generation this server wrote for the share on this peer, if it knows one. */
  lastGeneration: number | undefined;
  signal?: AbortSignal | undefined;
}

export async function fetchBackupManifest(input: FetchManifestInput): Promise<Manifest> {
  const { context } = input;
  let bytes: Buffer | null;
  try {
    bytes = await input.client.getManifest(context.user, context.share, { signal: input.signal });
  } catch (error) {
    throw error instanceof PeerError ? fromPeerError(error) : error;
  }
  if (!bytes) throw new AnemoneError('RESTORE_NO_BACKUP', { message: `This peer holds no backup of ${context.user}/${context.share}` });
  let manifest: Manifest;
  try {
    manifest = parseManifest(decryptBuffer(input.userKey, manifestInfo(context), bytes));
  } catch (cause) {
    throw new AnemoneError('MANIFEST_UNREADABLE', { cause });
  }
  // the key is bound to these names already; a manifest naming others was written inconsistently
  const named = [manifest.sourceServer, manifest.user, manifest.share].map((name) => name.normalize('NFC')).join('/');
  const expected = [context.sourceServer, context.user, context.share].map((name) => name.normalize('NFC')).join('/');
  if (named !== expected) {
    throw new AnemoneError('MANIFEST_UNREADABLE', { message: `The peer's manifest names ${named}, not ${expected}` });
  }
  // a peer serving an older manifest would bring back deleted files or old versions
  if (input.lastGeneration !== undefined && manifest.generation < input.lastGeneration) {
    throw new AnemoneError('MANIFEST_ROLLBACK', {
      message: `The peer served manifest generation ${manifest.generation}, older than generation ${input.lastGeneration} this server last wrote`,
    });
  }
  return manifest;
}
