/** A share's manifest as a peer holds it — the full manifest and its journal — decrypted with the user's key and checked before anything is shown or restored from it. */
import type { ManifestContext } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { Manifest } from '../manifest/manifest.js';
import { openPeerManifest } from '../manifest/sealed-manifest.js';
import type { PeerClient } from '../peer-client/index.js';
import { PeerError } from '../peer-client/index.js';
import { fromPeerError } from './restore-errors.js';

export interface FetchManifestInput {
  client: Pick<PeerClient, 'fetchManifest'>;
  context: ManifestContext;
  userKey: Buffer;
  /** The highest generation this server wrote for the share on this peer, if it knows one. */
  lastGeneration: number | undefined;
  signal?: AbortSignal | undefined;
  /** A snapshot the peer keeps, instead of its latest state. */
  snapshot?: number | undefined;
}

export async function fetchBackupManifest(input: FetchManifestInput): Promise<Manifest> {
  const { context } = input;
  let fetched: Awaited<ReturnType<PeerClient['fetchManifest']>>;
  try {
    fetched = await input.client.fetchManifest(context.user, context.share, { signal: input.signal, snapshot: input.snapshot });
  } catch (error) {
    throw error instanceof PeerError ? fromPeerError(error) : error;
  }
  if (fetched.kind !== 'stored') {
    if (input.snapshot !== undefined) throw new AnemoneError('RESTORE_NOT_FOUND', { message: `This peer keeps no snapshot ${input.snapshot} of ${context.user}/${context.share}` });
    throw new AnemoneError('RESTORE_NO_BACKUP', { message: `This peer holds no backup of ${context.user}/${context.share}` });
  }
  return openPeerManifest(input.userKey, context, fetched, input.lastGeneration);
}
