export {
  CHUNK_SIZE,
  SALT_LENGTH,
  TAG_LENGTH,
  MIN_ENCRYPTED_LENGTH,
  fileInfo,
  FileInfoWriter,
  manifestInfo,
  manifestDeltaInfo,
  deriveKey,
  chunkNonce,
  createEncryptStream,
  ChunkSealer,
  createDecryptStream,
  encryptBuffer,
  sealOneChunk,
  decryptBuffer,
  type FileContext,
  type ManifestContext,
  type EncryptOptions,
  type DecryptOptions,
} from './format-v1.js';
export { wrapKey, unwrapKey } from './key-wrap.js';
export { hashPassword, passwordHashIsCurrent, verifyPassword } from './password-hash.js';
export { scryptOneAtATime, type ScryptLaneName } from './scrypt.js';
export { OneAtATime } from './one-at-a-time.js';
export { randomKey, randomToken, sha256Hex } from './random.js';
export { groupedKeyText, parseKeyText, KEY_TEXT_HINT } from './key-text.js';
export {
  FormatError,
  KeyWrapError,
  PasswordHashError,
  type FormatErrorCode,
  type KeyWrapErrorCode,
  type PasswordHashErrorCode,
} from './errors.js';
export { CodedError } from './coded-error.js';
export { encryptedLength } from './encrypted-length.js';
export { SaltBlock } from './salt-block.js';
