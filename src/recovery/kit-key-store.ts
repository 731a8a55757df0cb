import { unwrapKey, wrapKey } from '../crypto/index.js';
import type { SettingsRepo } from '../db/index.js';
import type { KitKey } from './kit-envelope.js';

const KIT_KEY_SETTING = 'recovery_kit_key';
const KIT_KEY_AAD = 'anemone/recovery-kit-key/v1';

/**
 * The kit key (derived from the passphrase) kept between kits, wrapped by
 * the master key, so the copies on peers can be sealed again after every
 * change without the passphrase — which the server never stores.
 *
 * The trade-off: whoever holds this server's master key and database can
 * open the copies of the kit on peers. That is no loss — the master key and
 * the database are what the kit protects — while a leaked database alone
 * still opens nothing, and the passphrase itself (perhaps reused elsewhere)
 * is never on disk. Choosing a new passphrase (downloading a new kit)
 * replaces the key, and the next refresh replaces the copies on peers.
 */
export interface StoredKitKey {
  kitKey: KitKey;
  /** When the administrator last downloaded a kit (made this key). */
  createdAt: string;
}

interface Persisted {
  wrapped: string;
  salt: string;
  log2N: number;
  r: number;
  p: number;
  createdAt: string;
}

export function saveKitKey(settings: Pick<SettingsRepo, 'set'>, masterKey: Buffer, stored: StoredKitKey): void {
  const { key, params } = stored.kitKey;
  const persisted: Persisted = {
    wrapped: wrapKey(masterKey, key, KIT_KEY_AAD),
    salt: params.salt.toString('base64'),
    log2N: params.log2N,
    r: params.r,
    p: params.p,
    createdAt: stored.createdAt,
  };
  settings.set(KIT_KEY_SETTING, JSON.stringify(persisted));
}

/** The kept kit key, or undefined when no kit was ever made here. */
export function loadKitKey(settings: Pick<SettingsRepo, 'get'>, masterKey: Buffer): StoredKitKey | undefined {
  const text = settings.get(KIT_KEY_SETTING);
  if (!text) return undefined;
  const persisted = JSON.parse(text) as Persisted;
  return {
    kitKey: {
      key: unwrapKey(masterKey, persisted.wrapped, KIT_KEY_AAD),
      params: { log2N: persisted.log2N, r: persisted.r, p: persisted.p, salt: Buffer.from(persisted.salt, 'base64') },
    },
    createdAt: persisted.createdAt,
  };
}

/** Whether a kit was ever made here, without the master key. */
export function hasKitKey(settings: Pick<SettingsRepo, 'get'>): boolean {
  return Boolean(settings.get(KIT_KEY_SETTING));
}
