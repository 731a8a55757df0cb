import type { MasterKeyStore } from '../accounts/master-key.js';
import { sha256Hex } from '../crypto/index.js';
import type { PeerRow, PeerSettings, Repositories } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { certificateFingerprint } from '../identity/identity.js';
import { normaliseFingerprint, sameFingerprint } from '../peer-client/fingerprint.js';
import type { Agent } from 'undici';
import { PeerClient, peerConnectTimeoutMs } from '../peer-client/peer-client.js';
import { PeerError } from '../peer-client/peer-error.js';
import { type ClientIdentity, createPinnedAgent } from '../peer-client/pinned-agent.js';
import { SessionSlot } from '../peer-client/session-slot.js';
import { testConnection, type TestConnectionResult } from '../peer-client/test-connection.js';
import { UploadThrottle } from '../peer-client/upload-throttle.js';
import { unwrapPeerPassword, wrapPeerPassword } from './peer-password.js';
import { statusForFailure, type PeerStatus } from './peer-status.js';
import { uploadLimitAt, type UploadWindow } from './upload-limit.js';

/** A peer as the API shows it: the password never leaves, only whether one is set. */
export interface PeerView {
  id: number;
  name: string;
  address: string;
  port: number;
  passwordSet: boolean;
  enabled: boolean;
  timeoutMinutes: number;
  fingerprint: string | null;
  /** KiB/s when no timetable window is in force; null for no limit. */
  uploadLimitKiBps: number | null;
  uploadWindows: UploadWindow[];
  remoteServerName: string | null;
  status: PeerStatus | null;
  statusMessage: string | null;
  lastContactAt: string | null;
  /** The last time the peer answered (the background check, a sync, a Test Connection): "last seen online". Same as lastContactAt, named for what a person reads. */
  lastSeenAt: string | null;
  createdAt: string;
}

/** A new peer, already validated and normalised (see peer-fields.ts). */
export interface NewPeer extends PeerSettings {
  password?: string | undefined;
}

/** Changes to a peer: absent fields stay; `password: null` removes the password, `fingerprint: null` unpins. */
export type PeerPatch = Partial<PeerSettings> & { password?: string | null | undefined };

/** An unsaved form to test. With `peerId`, a missing password or fingerprint means the stored one. */
export interface UnsavedPeerTest {
  address: string;
  port: number;
  password?: string | undefined;
  fingerprint?: string | null | undefined;
  peerId?: number | undefined;
}

export interface PeerServiceDeps {
  repos: Pick<Repositories, 'peers' | 'transaction'>;
  masterKeys: Pick<MasterKeyStore, 'get'>;
  /** This server's certificate and key, presented to peers as its client certificate. */
  identity: ClientIdentity;
  /** This server's name, which peers file its backups under. */
  serverName: () => string;
  now?: () => Date;
}

const DEFAULT_TEST_TIMEOUT_MS = 15_000;
/** A running upload looks at the peer's settings this often, so an edited limit or a new window applies within a second. */
const LIMIT_REFRESH_MS = 1000;

function toView(row: PeerRow): PeerView {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    port: row.port,
    passwordSet: row.wrappedPassword !== null,
    enabled: row.enabled,
    timeoutMinutes: row.timeoutMinutes,
    fingerprint: row.fingerprint,
    uploadLimitKiBps: row.uploadLimitKiBps,
    uploadWindows: row.uploadWindows,
    remoteServerName: row.remoteServerName,
    status: row.status as PeerStatus | null,
    statusMessage: row.statusMessage,
    lastContactAt: row.lastContactAt,
    lastSeenAt: row.lastContactAt,
    createdAt: row.createdAt,
  };
}

/** Peers: their settings, their secret, their last known status, and pinned clients for the sync engine. */
export class PeerService {
  /** Per peer, the session its clients share while address, certificate and password stay the same. */
  private readonly sessionSlots = new Map<number, { key: string; slot: SessionSlot }>();
  /** Per peer, the one token bucket all its uploads share. */
  private readonly throttles = new Map<number, { throttle: UploadThrottle; reread: () => void }>();
  /** Per peer, the connections successive syncs share while address, certificate and timeout stay the same. */
  private readonly pools = new Map<number, { key: string; agent: Agent }>();

  constructor(private readonly deps: PeerServiceDeps) {}

  list(): PeerView[] {
    return this.deps.repos.peers.list().map(toView);
  }

  enabledPeers(): PeerView[] {
    return this.list().filter((peer) => peer.enabled);
  }

  findPeer(id: number): PeerView | undefined {
    const row = this.deps.repos.peers.findById(id);
    return row && toView(row);
  }

  get(id: number): PeerView {
    return toView(this.mustFind(id));
  }

  create(input: NewPeer): PeerView {
    this.assertNotThisServer(input.fingerprint);
    const id = this.deps.repos.transaction(() => {
      this.assertNameFree(input.name);
      const peerId = this.deps.repos.peers.insert({ ...settingsOf(input), createdAt: this.now().toISOString() });
      if (input.password !== undefined) {
        this.deps.repos.peers.setWrappedPassword(peerId, wrapPeerPassword(this.deps.masterKeys.get(), peerId, input.password));
      }
      return peerId;
    });
    return this.get(id);
  }

  update(id: number, patch: PeerPatch): PeerView {
    this.assertNotThisServer(patch.fingerprint);
    this.deps.repos.transaction(() => {
      const current = this.mustFind(id);
      const next: PeerSettings = { ...settingsOf(current), ...definedSettings(patch) };
      if (next.name !== current.name) this.assertNameFree(next.name, id);
      this.deps.repos.peers.updateSettings(id, next);
      if (patch.password !== undefined) {
        const wrapped = patch.password === null ? null : wrapPeerPassword(this.deps.masterKeys.get(), id, patch.password);
        this.deps.repos.peers.setWrappedPassword(id, wrapped);
      }
      // what was learnt about another address, certificate or password says nothing about the new ones
      const reached = next.address !== current.address || next.port !== current.port || next.fingerprint !== current.fingerprint;
      if (reached || patch.password !== undefined) this.deps.repos.peers.clearStatus(id);
    });
    // a new limit or timetable applies from the next piece of a running upload
    this.throttles.get(id)?.reread();
    return this.get(id);
  }

  delete(id: number): void {
    if (!this.deps.repos.peers.delete(id)) throw notFound();
    this.sessionSlots.delete(id);
    this.throttles.delete(id);
    this.dropPool(id);
  }

  /** Closes the shared connections (at shutdown, once the syncs stopped). */
  async close(): Promise<void> {
    const agents = [...this.pools.values()].map((pool) => pool.agent);
    this.pools.clear();
    await Promise.all(agents.map((agent) => agent.close().catch(() => undefined)));
  }

  /** Test Connection of a saved peer, with its stored password; the result becomes its status. */
  async test(id: number, options: { timeoutMs?: number } = {}): Promise<TestConnectionResult> {
    const peer = this.mustFind(id);
    const password = this.password(peer);
    const session = new SessionSlot();
    const result = await testConnection(
      {
        address: peer.address,
        port: peer.port,
        password,
        pinnedFingerprint: peer.fingerprint,
        timeoutMs: options.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS,
        session,
      },
      this.clientIdentity(),
    );
    this.recordTest(peer, result);
    // the test checked the password anyway: the syncs that follow reuse its session once that certificate is pinned
    if (result.ok && result.fingerprint) this.sessionSlots.set(peer.id, { key: this.sessionKey(peer, result.fingerprint, password), slot: session });
    return result;
  }

  /**
   * Test Connection of a form not saved yet. A stored password is used only
   * towards the stored pinned certificate: editing the address in a form
   * must not send the saved password to whoever answers there.
   */
  async testUnsaved(input: UnsavedPeerTest, options: { timeoutMs?: number } = {}): Promise<TestConnectionResult> {
    const stored = input.peerId === undefined ? undefined : this.mustFind(input.peerId);
    const fingerprint = input.fingerprint === undefined ? (stored?.fingerprint ?? null) : input.fingerprint;
    const password =
      input.password ?? (stored && stored.fingerprint && sameFingerprint(stored.fingerprint, fingerprint) ? this.password(stored) : undefined);
    return testConnection(
      { address: input.address, port: input.port, password, pinnedFingerprint: fingerprint, timeoutMs: options.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS },
      this.clientIdentity(),
    );
  }

  /**
   * A client for the sync engine, pinned to the confirmed fingerprint and
   * holding the credentials (this server's name, the peer password), so it
   * opens its session by itself. The caller closes it. `timeoutGraceMs` is
   * added to the peer's timeout, for a caller that judges silence itself.
   * `sharedConnections`: the client uses the peer's pool of connections, kept
   * open between runs (the sync engine: a round trip of 100 ms makes each new
   * connection cost 200 ms before its first request).
   */
  clientFor(peer: { id: number } | number, options: { timeoutGraceMs?: number; sharedConnections?: boolean } = {}): PeerClient {
    const row = this.mustFind(typeof peer === 'number' ? peer : peer.id);
    if (!row.fingerprint) throw new PeerError('not-pinned', { peerName: row.name, address: row.address, port: row.port });
    const password = this.password(row);
    const timeoutMs = row.timeoutMinutes * 60_000 + (options.timeoutGraceMs ?? 0);
    return new PeerClient({
      ...(options.sharedConnections ? { agent: this.pool(row, row.fingerprint, peerConnectTimeoutMs(timeoutMs)) } : {}),
      address: row.address,
      port: row.port,
      identity: this.deps.identity,
      pinnedFingerprint: row.fingerprint,
      timeoutMs,
      credentials: { sourceServer: this.deps.serverName(), password },
      session: this.sessionSlot(row, row.fingerprint, password),
      uploadThrottle: this.uploadThrottle(row.id, row.name),
    });
  }

  /** The peer's shared token bucket; its limit follows the peer's settings and timetable as they are now. */
  private uploadThrottle(peerId: number, peerName: string): UploadThrottle {
    const held = this.throttles.get(peerId);
    if (held) return held.throttle;
    let limits: { base: number | null; windows: UploadWindow[] } = { base: null, windows: [] };
    let readAt = -Infinity;
    const throttle = new UploadThrottle(() => {
      if (performance.now() - readAt >= LIMIT_REFRESH_MS) {
        const row = this.deps.repos.peers.findById(peerId);
        if (row) limits = { base: row.uploadLimitKiBps, windows: row.uploadWindows };
        readAt = performance.now();
      }
      return uploadLimitAt(limits.base, limits.windows, this.now());
    }, peerName);
    this.throttles.set(peerId, { throttle, reread: () => (readAt = -Infinity) });
    return throttle;
  }

  /**
   * The session slot of a pinned peer. The peer checks its password with
   * scrypt (32 MiB) once per session, so successive syncs share one session
   * rather than each opening its own; a changed address, certificate,
   * password or server name starts a new slot.
   */
  private sessionSlot(row: PeerRow, fingerprint: string, password: string | undefined): SessionSlot {
    const key = this.sessionKey(row, fingerprint, password);
    const held = this.sessionSlots.get(row.id);
    if (held?.key === key) return held.slot;
    const slot = new SessionSlot();
    this.sessionSlots.set(row.id, { key, slot });
    return slot;
  }

  /** The peer's shared pinned agent; another address, certificate or connect timeout closes the old one (running requests finish). */
  private pool(row: PeerRow, fingerprint: string, connectTimeoutMs: number): Agent {
    const key = JSON.stringify([row.address, row.port, normaliseFingerprint(fingerprint) ?? fingerprint, connectTimeoutMs]);
    const held = this.pools.get(row.id);
    if (held?.key === key) return held.agent;
    this.dropPool(row.id);
    const agent = createPinnedAgent({ identity: this.deps.identity, pinnedFingerprint: fingerprint, connectTimeoutMs });
    this.pools.set(row.id, { key, agent });
    return agent;
  }

  private dropPool(peerId: number): void {
    const held = this.pools.get(peerId);
    this.pools.delete(peerId);
    held?.agent.close().catch(() => undefined);
  }

  private sessionKey(row: PeerRow, fingerprint: string, password: string | undefined): string {
    return sha256Hex(JSON.stringify([row.address, row.port, normaliseFingerprint(fingerprint) ?? fingerprint, this.deps.serverName(), password ?? null]));
  }

  /**
   * The background health check (peer-monitor.ts): \`hello\` over a connection
   * pinned to the confirmed certificate. It proves the peer is up and is the
   * peer we pinned, sends no password (so it never counts against the peer's
   * login rate limit) and costs the peer no scrypt. An answer clears an
   * offline or certificate status; a password or permission problem stays
   * until a sync or a Test Connection shows it gone, since hello cannot tell.
   */
  async checkHealth(id: number, timeoutMs: number): Promise<{ ok: boolean; code?: string }> {
    const peer = this.mustFind(id);
    if (!peer.fingerprint) return { ok: false, code: 'PEER_NOT_PINNED' };
    const client = new PeerClient({
      address: peer.address,
      port: peer.port,
      identity: this.deps.identity,
      pinnedFingerprint: peer.fingerprint,
      timeoutMs,
      connectTimeoutMs: timeoutMs,
    });
    try {
      await client.hello();
    } catch (error) {
      const code = error instanceof PeerError ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      this.recordContact(id, { ok: false, code, message });
      return { ok: false, code };
    } finally {
      await client.destroy().catch(() => undefined);
    }
    const kept = peer.status === 'unauthorized' || peer.status === 'forbidden' || peer.status === 'error';
    if (kept) this.deps.repos.peers.recordContact(id, { status: peer.status as string, statusMessage: peer.statusMessage, lastContactAt: this.now().toISOString() });
    else this.recordContact(id, { ok: true });
    return { ok: true };
  }

  /** How a sync's contact with the peer went (`code`: a catalogue code), for the status on the Peers page and dashboard. */
  recordContact(peerId: number, outcome: { ok: boolean; code?: string | undefined; message?: string | undefined }): void {
    if (outcome.code === 'PEER_REQUEST_ABORTED') return;
    const now = this.now().toISOString();
    if (outcome.ok) {
      this.deps.repos.peers.recordContact(peerId, { status: 'online', statusMessage: null, lastContactAt: now });
      return;
    }
    const { status, answered } = statusForFailure(outcome.code);
    this.deps.repos.peers.recordContact(peerId, { status, statusMessage: outcome.message ?? null, ...(answered ? { lastContactAt: now } : {}) });
  }

  private recordTest(peer: PeerRow, result: TestConnectionResult): void {
    const now = this.now().toISOString();
    if (result.ok) {
      const pinned = peer.fingerprint !== null;
      this.deps.repos.peers.recordContact(peer.id, {
        status: pinned ? 'online' : 'unconfirmed',
        statusMessage: pinned ? null : "Reachable; confirm the peer's fingerprint to start syncing",
        lastContactAt: now,
        // a name said over a connection nobody confirmed is shown in the result, not stored
        ...(pinned && result.serverName !== undefined ? { remoteServerName: result.serverName } : {}),
      });
      return;
    }
    const { status, answered } = statusForFailure(result.outcome);
    this.deps.repos.peers.recordContact(peer.id, { status, statusMessage: result.message, ...(answered ? { lastContactAt: now } : {}) });
  }

  private clientIdentity(): ClientIdentity & { serverName: string } {
    return { certPem: this.deps.identity.certPem, keyPem: this.deps.identity.keyPem, serverName: this.deps.serverName() };
  }

  private password(peer: PeerRow): string | undefined {
    return peer.wrappedPassword === null ? undefined : unwrapPeerPassword(this.deps.masterKeys.get(), peer.id, peer.wrappedPassword);
  }

  /** Pinning this server's own certificate would make it sync to itself. */
  private assertNotThisServer(fingerprint: string | null | undefined): void {
    if (sameFingerprint(fingerprint, certificateFingerprint(this.deps.identity.certPem))) throw new AnemoneError('PEER_IS_THIS_SERVER');
  }

  private assertNameFree(name: string, exceptId?: number): void {
    const other = this.deps.repos.peers.findByName(name);
    if (other && other.id !== exceptId) {
      throw new AnemoneError('VALIDATION_FAILED', { message: `A peer named "${name}" already exists`, hint: 'Choose another name for this peer.' });
    }
  }

  private mustFind(id: number): PeerRow {
    const row = this.deps.repos.peers.findById(id);
    if (!row) throw notFound();
    return row;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

function notFound(): AnemoneError {
  return new AnemoneError('NOT_FOUND', { message: 'No such peer' });
}

function settingsOf(source: PeerSettings): PeerSettings {
  return {
    name: source.name,
    address: source.address,
    port: source.port,
    enabled: source.enabled,
    timeoutMinutes: source.timeoutMinutes,
    fingerprint: source.fingerprint,
    uploadLimitKiBps: source.uploadLimitKiBps,
    uploadWindows: source.uploadWindows,
  };
}

function definedSettings(patch: PeerPatch): Partial<PeerSettings> {
  const keys = ['name', 'address', 'port', 'enabled', 'timeoutMinutes', 'fingerprint', 'uploadLimitKiBps', 'uploadWindows'] as const;
  return Object.fromEntries(keys.filter((key) => patch[key] !== undefined).map((key) => [key, patch[key]])) as Partial<PeerSettings>;
}
