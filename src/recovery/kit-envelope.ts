import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { scryptOneAtATime } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';

/**
 * The recovery kit's envelope: the kit's JSON sealed with AES-256-GCM under
 * a key derived from the administrator's passphrase by scrypt. Everything
 * needed to open it except the passphrase is in the file itself:
 *
 * ```
 * "ANEMONE-KIT-1\n"  14 bytes, ASCII
 * log2 N             1 byte   (16: N = 2^16; kits from earlier releases have 17)
 * r                  1 byte   (8)
 * p                  1 byte   (2; earlier kits 1)
 * salt length        1 byte   (16)
 * salt               16 bytes
 * nonce              12 bytes
 * ciphertext         the rest but the last 16 bytes
 * tag                16 bytes
 * ```
 *
 * The header (magic to nonce) is the GCM additional data, so a file whose
 * parameters or salt were edited fails like a wrong passphrase.
 */
export const KIT_MAGIC = Buffer.from('ANEMONE-KIT-1\n', 'ascii');
const SALT_LENGTH = 16;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const KEY_LENGTH = 32;
const HEADER_LENGTH = KIT_MAGIC.length + 4 + SALT_LENGTH + NONCE_LENGTH;

/** The shortest passphrase accepted for a new kit: it is all that protects the master key on peers. */
export const MIN_PASSPHRASE_LENGTH = 12;

export interface KitKeyParams {
  log2N: number;
  r: number;
  p: number;
  salt: Buffer;
}

/** A key derived from a passphrase, with what derived it: seals kits without the passphrase. */
export interface KitKey {
  key: Buffer;
  params: KitKeyParams;
}

/** The work of N=2^17, r=8, p=1 in half the memory (64 MiB), as password hashes (src/crypto/password-hash.ts); kits written with the earlier cost still open. */
export const DEFAULT_KIT_COST = { log2N: 16, r: 8, p: 2 } as const;

/**
 * A file from a peer or a USB stick is not trusted with this server's
 * memory: parameters needing more than this are refused before scrypt runs.
 */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

export function newKitKeyParams(): KitKeyParams {
  return { ...DEFAULT_KIT_COST, salt: randomBytes(SALT_LENGTH) };
}

export async function deriveKitKey(passphrase: string, params: KitKeyParams): Promise<KitKey> {
  checkParams(params);
  const key = await scryptOneAtATime(passphrase, params.salt, KEY_LENGTH, { N: 2 ** params.log2N, r: params.r, p: params.p, maxmem: MAX_SCRYPT_MEMORY + 1024 * 1024 });
  return { key, params };
}

/** Seals `plaintext` with a fresh random nonce (the same kit key seals many kits over time). */
export function sealKit(plaintext: Buffer, kitKey: KitKey): Buffer {
  const nonce = randomBytes(NONCE_LENGTH);
  const header = Buffer.concat([
    KIT_MAGIC,
    Buffer.from([kitKey.params.log2N, kitKey.params.r, kitKey.params.p, kitKey.params.salt.length]),
    kitKey.params.salt,
    nonce,
  ]);
  const cipher = createCipheriv('aes-256-gcm', kitKey.key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, ciphertext, cipher.getAuthTag()]);
}

/** The parameters a sealed kit names, so its key can be derived; KIT_INVALID when it is not a kit. */
export function kitParamsOf(sealed: Buffer): KitKeyParams {
  return parse(sealed).params;
}

/** Opens a sealed kit with a derived key; KIT_PASSPHRASE_WRONG when the key (so the passphrase) is not its own. */
export function openKit(sealed: Buffer, kitKey: KitKey): Buffer {
  const { header, params, nonce, ciphertext, tag } = parse(sealed);
  if (!params.salt.equals(kitKey.params.salt)) throw wrongPassphrase();
  const decipher = createDecipheriv('aes-256-gcm', kitKey.key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(header);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw wrongPassphrase();
  }
}

/** Derives the key from the passphrase and opens the kit; returns the key too, so later kits can be sealed with it. */
export async function openKitWithPassphrase(sealed: Buffer, passphrase: string): Promise<{ plaintext: Buffer; kitKey: KitKey }> {
  const kitKey = await deriveKitKey(passphrase, kitParamsOf(sealed));
  return { plaintext: openKit(sealed, kitKey), kitKey };
}

function parse(sealed: Buffer) {
  if (sealed.length < HEADER_LENGTH + TAG_LENGTH || !sealed.subarray(0, KIT_MAGIC.length).equals(KIT_MAGIC)) {
    throw new AnemoneError('KIT_INVALID');
  }
  let offset = KIT_MAGIC.length;
  const [log2N, r, p, saltLength] = [0, 1, 2, 3].map((index) => sealed.readUInt8(offset + index)) as [number, number, number, number];
  offset += 4;
  if (saltLength !== SALT_LENGTH) throw new AnemoneError('KIT_INVALID', { message: 'The recovery kit names a salt length this version does not know' });
  const params: KitKeyParams = { log2N, r, p, salt: Buffer.from(sealed.subarray(offset, offset + SALT_LENGTH)) };
  checkParams(params);
  offset += SALT_LENGTH;
  const nonce = sealed.subarray(offset, offset + NONCE_LENGTH);
  offset += NONCE_LENGTH;
  return {
    header: sealed.subarray(0, offset),
    params,
    nonce,
    ciphertext: sealed.subarray(offset, sealed.length - TAG_LENGTH),
    tag: sealed.subarray(sealed.length - TAG_LENGTH),
  };
}

function checkParams(params: KitKeyParams): void {
  const { log2N, r, p } = params;
  const sane = Number.isInteger(log2N) && log2N >= 14 && log2N <= 22 && Number.isInteger(r) && r >= 1 && r <= 32 && Number.isInteger(p) && p >= 1 && p <= 16;
  if (!sane || 128 * 2 ** log2N * r > MAX_SCRYPT_MEMORY) {
    throw new AnemoneError('KIT_INVALID', { message: `The recovery kit asks for scrypt parameters this server refuses (N=2^${log2N}, r=${r}, p=${p})` });
  }
}

function wrongPassphrase(): AnemoneError {
  return new AnemoneError('KIT_PASSPHRASE_WRONG');
}
