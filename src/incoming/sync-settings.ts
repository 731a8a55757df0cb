import { hashPassword, passwordHashIsCurrent, verifyPassword } from '../crypto/index.js';
import type { SettingsRepo } from '../db/index.js';

const ACCEPT_INCOMING = 'accept_incoming';
/** The scrypt hash of the server password; an empty value means "no password set". */
const PASSWORD_HASH = 'sync_password_hash';
const KEEP_VERSIONS_DAYS = 'keep_versions_days';
/** How long replaced and deleted objects and old manifests are kept when the administrator has not said. */
export const DEFAULT_KEEP_VERSIONS_DAYS = 30;

export interface SyncSettingsView {
  acceptIncoming: boolean;
  passwordSet: boolean;
  /** Days the peer keeps what sources replace or delete (0: a mirror, nothing kept); a source may have its own. */
  keepVersionsDays: number;
}

/**
 * Whether this server accepts incoming syncs, and its server password.
 * A new server accepts nothing until its administrator switches it on.
 * The password is write-only: only its scrypt hash is kept.
 */
export class SyncSettings {
  /** `passwordChanged` runs after the password was set, changed or removed (open sync sessions end then). */
  constructor(
    private readonly settings: SettingsRepo,
    private readonly passwordChanged: () => void = () => undefined,
  ) {}

  view(): SyncSettingsView {
    return { acceptIncoming: this.acceptsIncoming(), passwordSet: this.passwordHash() !== undefined, keepVersionsDays: this.keepVersionsDays() };
  }

  acceptsIncoming(): boolean {
    return this.settings.get(ACCEPT_INCOMING) === 'true';
  }

  keepVersionsDays(): number {
    const stored = this.settings.get(KEEP_VERSIONS_DAYS);
    return stored === undefined ? DEFAULT_KEEP_VERSIONS_DAYS : Number(stored);
  }

  /** `password: null` removes the password; `undefined` leaves it as it is. */
  async update(input: { acceptIncoming?: boolean | undefined; password?: string | null | undefined; keepVersionsDays?: number | undefined }): Promise<SyncSettingsView> {
    // hashed first: a slow hash must not leave half an update behind if it fails
    const passwordHash = typeof input.password === 'string' ? await hashPassword(input.password) : input.password;
    if (passwordHash !== undefined) {
      this.settings.set(PASSWORD_HASH, passwordHash ?? '');
      this.passwordChanged();
    }
    if (input.acceptIncoming !== undefined) this.settings.set(ACCEPT_INCOMING, String(input.acceptIncoming));
    if (input.keepVersionsDays !== undefined) this.settings.set(KEEP_VERSIONS_DAYS, String(input.keepVersionsDays));
    return this.view();
  }

  /**
   * True when `password` is the server password, or when no password is set:
   * then the client certificate binding is the only check (the administrator
   * chose that by switching incoming syncs on without a password).
   */
  async passwordAccepts(password: string | undefined): Promise<boolean> {
    const stored = this.passwordHash();
    if (stored === undefined) return true;
    if (password === undefined) return false;
    // the peers' queue of the scrypt lane: a flood of web sign-ins delays a peer's session by one hash at most
    const accepted = await verifyPassword(password, stored, 'peers');
    if (accepted && !passwordHashIsCurrent(stored)) await this.rewriteHash(password, stored);
    return accepted;
  }

  /** A hash with older parameters, rewritten with today's once the password is known (sessions stay open: it is the same password). */
  private async rewriteHash(password: string, stored: string): Promise<void> {
    const rewritten = await hashPassword(password);
    // not if the administrator changed the password meanwhile
    if (this.passwordHash() === stored) this.settings.set(PASSWORD_HASH, rewritten);
  }

  passwordRequired(): boolean {
    return this.passwordHash() !== undefined;
  }

  private passwordHash(): string | undefined {
    const stored = this.settings.get(PASSWORD_HASH);
    return stored === undefined || stored === '' ? undefined : stored;
  }
}
