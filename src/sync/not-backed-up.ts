/**
 * The words for a file a run left out: what the walk reported, or the peer
 * refusing that one file. Everything listed here ends in the run's "N files
 * not backed up" (sync log, dashboard); hidden files never get this far.
 */

const SKIP_REASONS: Record<string, string> = {
  symlink: 'a symbolic link: links are not followed, back up what it points to instead',
  'not-a-regular-file': 'not a regular file (a pipe, socket or device)',
  vanished: 'deleted while the share was read',
  'changed-during-scan': 'changed while it was read; it is read again next sync',
  unreadable: 'cannot be read: check its permissions',
  'outside-share': 'a folder on its path is a link leading outside the share; nothing was read',
};

export function describeSkipReason(reason: string, detail?: string): string {
  const words = SKIP_REASONS[reason] ?? reason;
  return detail ? `${words} (${detail})` : words;
}

/** Peer answers about one file rather than about the run: its path or its size (catalogue codes, as PeerError carries them). */
const FILE_REFUSALS = new Set(['PATH_INVALID', 'PAYLOAD_TOO_LARGE']);

/** Why the peer refused this file, or undefined when the error is not about one file. */
export function peerRefusedFile(error: unknown): string | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !FILE_REFUSALS.has(code)) return undefined;
  return `refused by the peer: ${typeof message === 'string' ? message : code}`;
}
