import { uploadLimitKiBpsSchema, uploadWindowsSchema } from '../peers/upload-limit.js';
import { z } from 'zod';
import { AnemoneError } from '../errors/catalogue.js';

/**
 * What a recovery kit holds, in clear once opened: everything a fresh
 * install needs to become this server again — its name and TLS identity (so
 * peers recognise it without re-pairing), the master key (which unwraps the
 * users' keys and the peers' passwords), the users with their wrapped keys
 * and password hashes, the peers, the manifest generations written to each
 * (so a peer serving an older manifest is still caught), and the settings.
 *
 * Users who never activated are left out: they have no key and no backup,
 * and their activation link cannot be carried over; an administrator creates
 * them again.
 */
const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/);

export const kitUserSchema = z.object({
  username: name,
  isAdmin: z.boolean(),
  passwordHash: z.string().min(1),
  wrappedKey: z.string().min(1),
  keyCheck: z.string().nullable(),
  activatedAt: z.string(),
  createdAt: z.string(),
  shares: z.array(z.object({ name, syncEnabled: z.boolean() })),
});

export const kitPeerSchema = z.object({
  /** Kept: a peer's password is wrapped bound to its id. */
  id: z.number().int().positive(),
  name: z.string().min(1),
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  wrappedPassword: z.string().nullable(),
  enabled: z.boolean(),
  timeoutMinutes: z.number().int().positive(),
  fingerprint: z.string().nullable(),
  /** Optional: kits made before upload limits existed have neither. */
  uploadLimitKiBps: uploadLimitKiBpsSchema.nullable().optional(),
  uploadWindows: uploadWindowsSchema.optional(),
  createdAt: z.string(),
});

export const kitDocumentSchema = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  serverName: name,
  identity: z.object({ certPem: z.string().min(1), keyPem: z.string().min(1) }),
  /** base64 of the 32-byte master key. */
  masterKey: z.string().min(1),
  users: z.array(kitUserSchema),
  peers: z.array(kitPeerSchema),
  /** The highest manifest generation written for a user's share on a peer. */
  syncState: z.array(z.object({ user: name, share: name, peerId: z.number().int().positive(), generation: z.number().int().nonnegative() })),
  settings: z.object({
    acceptIncoming: z.boolean(),
    /** The scrypt hash of this server's own sync password, or null when none is set. */
    syncPasswordHash: z.string().nullable(),
    /** The sync schedule as the scheduler stores it (JSON), or null. */
    syncSchedule: z.string().nullable(),
  }),
});

export type KitDocument = z.infer<typeof kitDocumentSchema>;
export type KitUser = z.infer<typeof kitUserSchema>;
export type KitPeer = z.infer<typeof kitPeerSchema>;

export function encodeKitDocument(document: KitDocument): Buffer {
  return Buffer.from(JSON.stringify(document), 'utf8');
}

/** The document of an opened kit; KIT_INVALID when it does not have the expected form. */
export function decodeKitDocument(plaintext: Buffer): KitDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new AnemoneError('KIT_INVALID', { message: 'The recovery kit opened, but what it holds is not JSON' });
  }
  const parsed = kitDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AnemoneError('KIT_INVALID', {
      message: `The recovery kit opened, but it does not have the expected form${issue ? ` (${issue.path.join('.') || 'kit'}: ${issue.message})` : ''}`,
    });
  }
  const masterKey = Buffer.from(parsed.data.masterKey, 'base64');
  if (masterKey.length !== 32) throw new AnemoneError('KIT_INVALID', { message: 'The recovery kit does not hold a 32-byte master key' });
  return parsed.data;
}
