import { createHash } from 'node:crypto';
import type { MasterKeyStore } from '../accounts/master-key.js';
import type { Repositories } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { Logger } from '../logging/logger.js';
import type { PeerService } from '../peers/peer-service.js';
import { collectKitDocument } from './kit-collect.js';
import { type KitDocument, encodeKitDocument } from './kit-document.js';
import { MIN_PASSPHRASE_LENGTH, deriveKitKey, newKitKeyParams, sealKit } from './kit-envelope.js';
import { type StoredKitKey, hasKitKey, loadKitKey, saveKitKey } from './kit-key-store.js';
import { OneAtATime } from '../crypto/index.js';

/** How the copy of the kit on one peer stands, as of this process (a restart sends every copy again once). */
export interface KitPeerCopy {
  peerId: number;
  peerName: string;
  ok: boolean;
  /** When the current copy was stored on the peer, or null when it never was since start. */
  pushedAt: string | null;
  error: string | null;
  hint: string | null;
  /** The current kit is on its way to this peer (just made, or changed): neither up to date nor missing yet. */
  pending: boolean;
}

export interface KitStatus {
  /** Whether an administrator has downloaded a kit (so copies are kept on peers). */
  configured: boolean;
  createdAt: string | null;
  peers: KitPeerCopy[];
}

export interface RecoveryKitDeps {
  repos: Pick<Repositories, 'users' | 'shares' | 'peers' | 'recovery' | 'settings'>;
  masterKeys: Pick<MasterKeyStore, 'get' | 'has'>;
  identity: { certPem: string; keyPem: string };
  serverName: () => string;
  isSetUp: () => boolean;
  peers: Pick<PeerService, 'list' | 'clientFor'>;
  logger: Logger;
  now?: () => Date;
  /** A refresh after a change waits this long for more changes (default 2 s). */
  debounceMs?: number;
  /** Copies are also checked this often, for peers that were offline (default 10 min). */
  refreshIntervalMs?: number;
}

/**
 * The server recovery kit: made on an administrator's request with a
 * passphrase, and kept up to date on every enabled, pinned peer.
 *
 * The passphrase is never stored. Making a kit derives its key once and
 * keeps that key wrapped by the master key (kit-key-store.ts); every later
 * refresh seals the current state with it. A refresh runs shortly after an
 * administrator changes users, peers or settings, and on a timer, which also
 * catches what the sync runs change (manifest generations). A copy is sent
 * only when the kit's content changed since the peer last took it.
 */
export class RecoveryKitService {
  private readonly copies = new Map<number, Omit<KitPeerCopy, 'pending'> & { contentHash: string | null }>();
  private readonly pushes = new OneAtATime();
  private debounce: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: RecoveryKitDeps) {}

  /** A new kit sealed by `passphrase`; from now on its key also seals the copies on peers. */
  async create(passphrase: string): Promise<{ sealed: Buffer; fileName: string }> {
    if ([...passphrase.normalize('NFC')].length < MIN_PASSPHRASE_LENGTH) {
      throw new AnemoneError('VALIDATION_FAILED', {
        message: `The passphrase is too short: use at least ${MIN_PASSPHRASE_LENGTH} characters`,
        hint: 'A few unrelated words make a passphrase that is long and easy to remember; it is all that protects the kit.',
      });
    }
    if (!this.deps.isSetUp()) throw new AnemoneError('NOT_SET_UP');
    const kitKey = await deriveKitKey(passphrase, newKitKeyParams());
    const stored: StoredKitKey = { kitKey, createdAt: this.now().toISOString() };
    saveKitKey(this.deps.repos.settings, this.deps.masterKeys.get(), stored);
    const sealed = sealKit(encodeKitDocument(this.document()), kitKey);
    // a new key: every peer's copy is out of date, whatever its content
    for (const copy of this.copies.values()) copy.contentHash = null;
    this.scheduleRefresh(0);
    return { sealed, fileName: `anemone-${this.deps.serverName()}-recovery-kit.bin` };
  }

  status(): KitStatus {
    const configured = this.deps.isSetUp() && hasKitKey(this.deps.repos.settings);
    const stored = configured && this.deps.masterKeys.has() ? loadKitKey(this.deps.repos.settings, this.deps.masterKeys.get()) : undefined;
    return {
      configured,
      createdAt: stored?.createdAt ?? null,
      peers: this.targetPeers().map((peer) => {
        const copy = this.copies.get(peer.id);
        return {
          peerId: peer.id,
          peerName: peer.name,
          ok: copy?.ok ?? false,
          pushedAt: copy?.pushedAt ?? null,
          error: copy?.error ?? null,
          hint: copy?.hint ?? null,
          // not sent yet and not failed: a push is due (a new kit, a change) and the page should wait for it, not say "missing"
          pending: configured && (copy === undefined || (copy.contentHash === null && copy.error === null)),
        };
      }),
    };
  }

  /** Sends the current kit to every enabled, pinned peer whose copy is out of date; resolves with the status. */
  pushToPeers(): Promise<KitStatus> {
    return this.pushes.run(async () => {
      await this.pushOnce();
      return this.status();
    });
  }

  /** A refresh soon: after an administrator's change, several changes in a row make one refresh. */
  scheduleRefresh(delayMs = this.deps.debounceMs ?? 2000): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.pushInBackground();
    }, delayMs);
    this.debounce.unref();
  }

  start(): void {
    this.stopped = false;
    this.interval ??= setInterval(() => this.pushInBackground(), this.deps.refreshIntervalMs ?? 10 * 60_000);
    this.interval.unref();
    this.scheduleRefresh();
  }

  /** Stops the timers and waits for a push under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.interval) clearInterval(this.interval);
    this.debounce = undefined;
    this.interval = undefined;
    await this.pushes.run(async () => undefined);
  }

  /** A refresh nobody waits for: its failures are logged, never thrown. */
  private pushInBackground(): void {
    if (this.stopped) return;
    this.pushToPeers().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'the recovery kit refresh failed'));
  }

  private async pushOnce(): Promise<void> {
    if (!this.deps.isSetUp() || !this.deps.masterKeys.has() || !hasKitKey(this.deps.repos.settings)) return;
    const stored = loadKitKey(this.deps.repos.settings, this.deps.masterKeys.get());
    if (!stored) return;
    const document = this.document();
    const contentHash = hashOf(document, stored);
    const peers = this.targetPeers();
    for (const id of this.copies.keys()) if (!peers.some((peer) => peer.id === id)) this.copies.delete(id);
    const stale = peers.filter((peer) => this.copies.get(peer.id)?.contentHash !== contentHash);
    if (stale.length === 0) return;
    const sealed = sealKit(encodeKitDocument(document), stored.kitKey);
    await Promise.all(stale.map((peer) => this.pushTo(peer, sealed, contentHash)));
  }

  private async pushTo(peer: { id: number; name: string }, sealed: Buffer, contentHash: string): Promise<void> {
    const previous = this.copies.get(peer.id);
    try {
      const client = this.deps.peers.clientFor(peer.id);
      try {
        await client.putRecoveryKit(sealed, { signal: AbortSignal.timeout(120_000) });
      } finally {
        await client.close();
      }
      this.copies.set(peer.id, { peerId: peer.id, peerName: peer.name, ok: true, pushedAt: this.now().toISOString(), error: null, hint: null, contentHash });
    } catch (error) {
      const { message, hint } = describe(error);
      this.deps.logger.warn({ peer: peer.name, error: message }, 'the recovery kit could not be stored on a peer; retried at the next refresh');
      this.copies.set(peer.id, { peerId: peer.id, peerName: peer.name, ok: false, pushedAt: previous?.pushedAt ?? null, error: message, hint, contentHash: null });
    }
  }

  private document(): KitDocument {
    return collectKitDocument({
      repos: this.deps.repos,
      masterKey: this.deps.masterKeys.get(),
      identity: this.deps.identity,
      serverName: this.deps.serverName(),
      now: this.now(),
    });
  }

  /** The peers that keep a copy: enabled, with a confirmed certificate (nothing goes to an unpinned peer). */
  private targetPeers(): { id: number; name: string }[] {
    return this.deps.peers.list().filter((peer) => peer.enabled && peer.fingerprint !== null);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

/** What a kit holds, apart from when it was sealed, and under which key: equal hashes need no new copy. */
function hashOf(document: KitDocument, stored: StoredKitKey): string {
  const { createdAt: _createdAt, ...content } = document;
  return createHash('sha256').update(stored.kitKey.params.salt).update(JSON.stringify(content)).digest('hex');
}

function describe(error: unknown): { message: string; hint: string | null } {
  const coded = error as { message?: unknown; hint?: unknown } | undefined;
  return {
    message: typeof coded?.message === 'string' ? coded.message : String(error),
    hint: typeof coded?.hint === 'string' ? coded.hint : null,
  };
}
