import type { Database } from './database.js';

/** One window of a peer's upload timetable, as stored (validated by peers/upload-limit.ts before it is written). */
export interface StoredUploadWindow {
  days: ('sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat')[];
  start: string;
  end: string;
  mode: 'limit' | 'unlimited' | 'paused';
  limitKiBps?: number | undefined;
}

/** A peer server this server syncs to (table `peers`). The password is stored only wrapped by the master key. */
export interface PeerRow {
  id: number;
  name: string;
  address: string;
  port: number;
  wrappedPassword: string | null;
  enabled: boolean;
  timeoutMinutes: number;
  /** The pinned certificate fingerprint (`AB:CD:…`), null until the administrator confirms one. */
  fingerprint: string | null;
  /** KiB/s, null for no limit. */
  uploadLimitKiBps: number | null;
  uploadWindows: StoredUploadWindow[];
  remoteServerName: string | null;
  status: string | null;
  statusMessage: string | null;
  lastContactAt: string | null;
  createdAt: string;
}

interface RawPeer {
  id: number;
  name: string;
  address: string;
  port: number;
  wrapped_password: string | null;
  enabled: number;
  timeout_minutes: number;
  fingerprint: string | null;
  upload_limit_kibps: number | null;
  upload_windows: string;
  remote_server_name: string | null;
  status: string | null;
  status_message: string | null;
  last_contact_at: string | null;
  created_at: string;
}

const COLUMNS =
  'id, name, address, port, wrapped_password, enabled, timeout_minutes, fingerprint, upload_limit_kibps, upload_windows, remote_server_name, status, status_message, last_contact_at, created_at';

function toPeer(raw: RawPeer): PeerRow {
  return {
    id: raw.id,
    name: raw.name,
    address: raw.address,
    port: raw.port,
    wrappedPassword: raw.wrapped_password,
    enabled: raw.enabled === 1,
    timeoutMinutes: raw.timeout_minutes,
    fingerprint: raw.fingerprint,
    uploadLimitKiBps: raw.upload_limit_kibps,
    uploadWindows: JSON.parse(raw.upload_windows) as StoredUploadWindow[],
    remoteServerName: raw.remote_server_name,
    status: raw.status,
    statusMessage: raw.status_message,
    lastContactAt: raw.last_contact_at,
    createdAt: raw.created_at,
  };
}

/** The settings an administrator edits. */
export interface PeerSettings {
  name: string;
  address: string;
  port: number;
  enabled: boolean;
  timeoutMinutes: number;
  fingerprint: string | null;
  uploadLimitKiBps: number | null;
  uploadWindows: StoredUploadWindow[];
}

/** What a contact with the peer taught us. `lastContactAt` and `remoteServerName` are left alone when absent. */
export interface PeerContact {
  status: string;
  statusMessage: string | null;
  lastContactAt?: string;
  remoteServerName?: string;
}

/** The settings' column values, in the order insert and updateSettings name their columns. */
function settingsValues(settings: PeerSettings): (string | number | null)[] {
  return [
    settings.name,
    settings.address,
    settings.port,
    settings.enabled ? 1 : 0,
    settings.timeoutMinutes,
    settings.fingerprint,
    settings.uploadLimitKiBps,
    JSON.stringify(settings.uploadWindows),
  ];
}

export class PeersRepo {
  constructor(private readonly db: Database) {}

  list(): PeerRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM peers ORDER BY name COLLATE NOCASE, id`).all() as RawPeer[]).map(toPeer);
  }

  findById(id: number): PeerRow | undefined {
    const raw = this.db.prepare(`SELECT ${COLUMNS} FROM peers WHERE id = ?`).get(id) as RawPeer | undefined;
    return raw && toPeer(raw);
  }

  findByName(name: string): PeerRow | undefined {
    const raw = this.db.prepare(`SELECT ${COLUMNS} FROM peers WHERE name = ?`).get(name) as RawPeer | undefined;
    return raw && toPeer(raw);
  }

  insert(settings: PeerSettings & { createdAt: string }): number {
    const result = this.db
      .prepare(
        'INSERT INTO peers (name, address, port, enabled, timeout_minutes, fingerprint, upload_limit_kibps, upload_windows, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(...settingsValues(settings), settings.createdAt);
    return Number(result.lastInsertRowid);
  }

  updateSettings(id: number, settings: PeerSettings): void {
    this.db
      .prepare(
        'UPDATE peers SET name = ?, address = ?, port = ?, enabled = ?, timeout_minutes = ?, fingerprint = ?, upload_limit_kibps = ?, upload_windows = ? WHERE id = ?',
      )
      .run(...settingsValues(settings), id);
  }

  setWrappedPassword(id: number, wrappedPassword: string | null): void {
    this.db.prepare('UPDATE peers SET wrapped_password = ? WHERE id = ?').run(wrappedPassword, id);
  }

  recordContact(id: number, contact: PeerContact): void {
    this.db
      .prepare(
        `UPDATE peers SET status = ?, status_message = ?,
           last_contact_at = COALESCE(?, last_contact_at), remote_server_name = COALESCE(?, remote_server_name)
         WHERE id = ?`,
      )
      .run(contact.status, contact.statusMessage, contact.lastContactAt ?? null, contact.remoteServerName ?? null, id);
  }

  /** Forgets the last status (after the address, certificate or password changed); the last contact time stays. */
  clearStatus(id: number): void {
    this.db.prepare('UPDATE peers SET status = NULL, status_message = NULL WHERE id = ?').run(id);
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM peers WHERE id = ?').run(id).changes === 1;
  }
}
