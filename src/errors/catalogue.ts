/**
 * Every error a person can read, in one place: the API maps these to HTTP,
 * the CLI prints them, and docs/troubleshooting.md documents each code
 * (a test keeps the two in step).
 */
export const errorCatalogue = {
  VALIDATION_FAILED: {
    status: 400,
    message: 'The request is not valid',
    hint: 'Check the highlighted fields and try again.',
  },
  NOT_AUTHENTICATED: {
    status: 401,
    message: 'You are not signed in',
    hint: 'Sign in and try again.',
  },
  BAD_CREDENTIALS: {
    status: 401,
    message: 'Wrong username or password',
    hint: 'Check the username and password; after several failures wait a minute before trying again.',
  },
  FORBIDDEN: {
    status: 403,
    message: 'You are not allowed to do this',
    hint: 'Ask an administrator of this server.',
  },
  CROSS_SITE_REQUEST: {
    status: 403,
    message: "Refused a request sent from another site, not from this server's own pages",
    hint: "Open this server's own address in the browser and do it from there; scripts and the CLI send no Origin header and are not affected.",
  },
  NOT_FOUND: {
    status: 404,
    message: 'Not found',
    hint: 'Check the address; the item may have been deleted.',
  },
  ALREADY_SET_UP: {
    status: 409,
    message: 'This server is already set up',
    hint: 'Sign in with the administrator account created at setup.',
  },
  NOT_SET_UP: {
    status: 409,
    message: 'This server is not set up yet',
    hint: 'Run the first setup: open the web page or run `anemone setup`.',
  },
  USERNAME_TAKEN: {
    status: 409,
    message: 'That username is already in use',
    hint: 'Choose another username.',
  },
  ACTIVATION_INVALID: {
    status: 400,
    message: 'This activation link is not valid',
    hint: 'The link may have expired (links last 24 hours), been used already or been replaced by a newer one; ask an administrator for a new one (Users → New link).',
  },
  CURRENT_PASSWORD_WRONG: {
    status: 403,
    message: 'The current password is wrong; the password was not changed',
    hint: 'Type the password you sign in with. Forgotten it? Ask an administrator for a new activation link (Users → New link): your files and key stay.',
  },
  CANNOT_DELETE_SELF: {
    status: 409,
    message: 'You cannot delete your own account',
    hint: 'Sign in as another administrator to delete this account.',
  },
  API_TOKEN_INVALID: {
    status: 401,
    message: 'No valid API token was sent',
    hint: 'Send the header `Authorization: Bearer <token>` with a token made on the Settings page (API tokens); a revoked token no longer works, make a new one.',
  },
  API_TOKEN_SCOPE: {
    status: 403,
    message: 'This API token does not open this',
    hint: 'A token opens only its own scope (a metrics token opens GET /metrics and nothing else); make a token with the scope this needs on the Settings page.',
  },
  API_TOKEN_NAME_TAKEN: {
    status: 409,
    message: 'An API token with that name already exists',
    hint: 'Choose another name, or revoke the old token first (Settings → API tokens).',
  },
  TOO_MANY_ATTEMPTS: {
    status: 429,
    message: 'Too many attempts',
    hint: 'Wait for the time given in Retry-After, then try again.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: 'The upload is too large',
    hint: 'Split the data or raise the server limit.',
  },
  PEER_UNAUTHORIZED: {
    status: 401,
    message: '401 Unauthorized — the peer password is wrong or missing',
    hint: 'Update the password in the peer settings to the server password set on the peer.',
  },
  PEER_FORBIDDEN: {
    status: 403,
    message: '403 Forbidden — the peer is not accepting syncs',
    hint: "Check the peer's settings: its administrator must switch on \"accept incoming syncs\".",
  },
  SOURCE_CERT_MISMATCH: {
    status: 403,
    message: '403 Forbidden — another certificate already speaks for this server name',
    hint: "The peer's administrator must accept this server's new certificate (Incoming Backups), after comparing fingerprints.",
  },
  CLIENT_CERT_REQUIRED: {
    status: 403,
    message: '403 Forbidden — no client certificate was presented',
    hint: 'Peers connect with their server certificate; use an Anemone server to sync.',
  },
  SESSION_INVALID: {
    status: 401,
    message: 'The sync session is missing or has expired',
    hint: 'Open a new session; the sync does this by itself, so retry the sync.',
  },
  PATH_INVALID: {
    status: 400,
    message: 'The file path is not allowed',
    hint: 'Paths are relative, use "/", are NFC-normalised and hold no "..", NUL, backslash or hidden segment.',
  },
  HASH_MISMATCH: {
    status: 400,
    message: 'The file arrived damaged: its SHA-256 does not match',
    hint: 'Retry the sync; if it keeps happening, check the network between the servers.',
  },
  UPLOAD_OFFSET_MISMATCH: {
    status: 409,
    message: 'The upload does not continue where this server stopped receiving it',
    hint: 'Nothing to do: the sending server asks for the offset again and continues from there.',
  },
  BACKUP_RESET_ON_PEER: {
    status: 409,
    message: "The peer's administrator deleted this share's backups during the sync; it will be sent again in full",
    hint: 'Nothing to do: the sync starts the share again from scratch (or the next sync does). If it keeps happening, ask the peer’s administrator to stop deleting it.',
  },
  PROTOCOL_VERSION_UNSUPPORTED: {
    status: 404,
    message: 'This server speaks peer protocol v1; the other server needs a newer version',
    hint: 'Upgrade this server to the version the other server runs; until then the two cannot sync.',
  },
  SOURCE_QUOTA_EXCEEDED: {
    status: 507,
    message: 'This source server holds as much as its quota allows on this peer',
    hint: "Ask the peer's administrator to raise the quota on the Incoming page or shorten its retention; what the peer already holds is intact.",
  },
  INSUFFICIENT_STORAGE: {
    status: 507,
    message: '507 Insufficient Storage — the peer\'s disk is full',
    hint: "Ask the peer's administrator to free space; what the peer already held is intact.",
  },
  SYNC_ALREADY_RUNNING: {
    status: 409,
    message: 'A sync of this share to this peer is already running',
    hint: 'Wait for it to finish; its progress is on the Synchronisation page.',
  },
  NO_ENABLED_PEERS: {
    status: 409,
    message: 'There is no enabled peer to sync to',
    hint: 'Add a peer (or enable one) in Peers, and confirm its fingerprint with Test Connection.',
  },
  SHARE_MISSING: {
    status: 409,
    message: 'The share folder is missing',
    hint: 'Check that the disk holding the shares is mounted and the folder was not moved or renamed.',
  },
  SHARE_UNREADABLE: {
    status: 500,
    message: 'The share folder cannot be read',
    hint: 'Check the permissions of the share folder: the Anemone process must be able to list and read it.',
  },
  SHARE_PATH_CHECK_UNAVAILABLE: {
    status: 500,
    message: 'The files of this share cannot be read safely on this system',
    hint: 'Run Anemone on Linux with /proc mounted (it is by default; in a container, do not hide /proc from the process).',
  },
  SHARE_NOT_SYNCED: {
    status: 409,
    message: 'This share is never synced',
    hint: 'Only the backup share is encrypted and synced to peers; put files to protect there.',
  },
  MASS_DELETION_GUARD: {
    status: 409,
    message: 'The sync stopped before deleting anything: it would delete most or all of the backup on the peer',
    hint: 'Check the share is mounted and holds your files; if the deletions are wanted, an administrator confirms them on the Synchronisation page.',
  },
  RANSOMWARE_TRIPWIRE: {
    status: 409,
    message: 'The sync stopped before sending anything: it would rewrite more than half of the backup on the peer at once',
    hint: 'Check the files on the server (ransomware encrypts files in place or renames them); if the changes are intended, an administrator confirms them on the dashboard (Synchronisation page).',
  },
  CONFIRMATION_STALE: {
    status: 409,
    message: 'This confirmation is no longer valid',
    hint: 'Sync the share again; if the guard holds it again, confirm that new run on the Synchronisation page.',
  },
  MANIFEST_ROLLBACK: {
    status: 409,
    message: 'The peer served an older manifest than this server last wrote',
    hint: 'The peer may have been restored from an old copy or tampered with; ask its administrator, and do not trust it for restores until this is explained.',
  },
  MANIFEST_UNREADABLE: {
    status: 409,
    message: "The peer's manifest for this share cannot be decrypted with the user's key",
    hint: 'The copy on the peer is damaged or was written with another key; ask the peer\'s administrator to delete this share\'s incoming backup, then sync again.',
  },
  MANIFEST_CHAIN_BROKEN: {
    status: 409,
    message: "The peer's manifest journal does not lead from its manifest to the current state",
    hint: 'A delta of the journal on the peer is missing, damaged or out of place. Run Force Sync to this peer: it writes a full manifest again. Restore from another peer meanwhile.',
  },
  USER_NOT_ACTIVATED: {
    status: 409,
    message: 'The user has not activated their account yet, so there is no key to encrypt with',
    hint: 'Send the user their activation link; their backup syncs once they have activated.',
  },
  PEER_NOT_PINNED: {
    status: 409,
    message: "The peer's certificate fingerprint has not been confirmed",
    hint: 'Run Test Connection on the peer, compare the fingerprint with its administrator, and confirm it.',
  },
  PEER_IS_THIS_SERVER: {
    status: 409,
    message: 'This address is this server itself, not a peer: it presented this server\'s own certificate',
    hint: "A peer is another Anemone server, at a friend's or family member's place: give its address and port. This server's own fingerprint is on its Settings page, for comparison.",
  },
  PEER_CONNECTION_REFUSED: {
    status: 502,
    message: 'Connection refused — check the peer is reachable, its port (8443) and firewall',
    hint: 'Check that Anemone runs on the peer, that the address and port in the peer settings are right, and that no firewall blocks the port.',
  },
  PEER_TIMEOUT: {
    status: 504,
    message: 'Timed out — the peer did not answer in time',
    hint: "Check the peer's address and port, that the peer is running and that no firewall silently drops the connection; a slow link may need a longer timeout in the peer settings.",
  },
  PEER_NAME_NOT_FOUND: {
    status: 502,
    message: "Name not found — the peer's address does not resolve",
    hint: "Check the spelling of the peer's address, or use its IP address; check this server's DNS settings.",
  },
  PEER_CERTIFICATE_CHANGED: {
    status: 502,
    message: 'Certificate changed — the peer presented a certificate that is not the pinned one; it could be an impostor',
    hint: "Nothing was sent to it. Compare the fingerprint it presented with the one on the peer's Settings page; only if they match, pin the new fingerprint.",
  },
  PEER_RATE_LIMITED: {
    status: 502,
    message: '429 Too Many Requests — the peer is refusing attempts from this server for now',
    hint: 'Wait and try again; repeated refusals usually mean the peer password is wrong.',
  },
  PEER_TLS_ERROR: {
    status: 502,
    message: 'The secure connection to the peer failed',
    hint: 'Check that the address and port are those of an Anemone server speaking HTTPS (not plain HTTP or another service).',
  },
  PEER_PROTOCOL_ERROR: {
    status: 502,
    message: 'Unexpected answer from the peer',
    hint: "Check that the peer is an Anemone server and that both servers run a recent version; the peer's log may say more.",
  },
  PEER_NOT_FOUND: {
    status: 502,
    message: '404 Not Found — the peer holds no such file',
    hint: 'The backup on the peer may be incomplete; run a sync, then try again.',
  },
  PEER_CONNECTION_LOST: {
    status: 502,
    message: 'Connection lost — the peer closed the connection during a request',
    hint: "Retry; if it keeps happening, check the network between the servers and the peer's log.",
  },
  PEER_STORAGE_UNAVAILABLE: {
    status: 502,
    message: "The peer's storage is not answering: the peer could not store or read this backup; nothing was lost here",
    hint: "The next run sends again what was refused (a failed scheduled run is retried automatically). If it keeps failing, tell the peer's administrator: their server log says what their storage (disk or S3 bucket) answered.",
  },
  PEER_REQUEST_ABORTED: {
    status: 503,
    message: 'The request to the peer was cancelled',
    hint: 'Start it again when needed.',
  },
  PEER_UNREACHABLE: {
    status: 502,
    message: 'The peer could not be reached',
    hint: 'Check the peer is reachable, its port (8443) and firewall.',
  },
  SYNC_TIMEOUT: {
    status: 504,
    message: 'The sync made no progress for longer than the peer timeout and was stopped',
    hint: 'Check the connection to the peer, or raise its timeout in the peer settings; the next sync resumes.',
  },
  SYNC_INTERRUPTED: {
    status: 503,
    message: 'The server stopped while this sync was running',
    hint: 'Nothing to do: the next sync resumes where it stopped.',
  },
  SYNC_CANCELLED: {
    status: 409,
    message: 'The sync was cancelled',
    hint: 'Nothing to do: what reached the peer stays there, and the next sync resumes from it.',
  },
  SYNC_SEAL_THREAD_FAILED: {
    status: 500,
    message: 'The thread that reads and encrypts small files stopped unexpectedly',
    hint: 'Start the sync again: the next run starts a new thread and resumes from what reached the peer. If it keeps failing, the server log says why.',
  },
  SYNC_NOT_RUNNING: {
    status: 404,
    message: 'That sync is not running any more',
    hint: 'It has already ended: its row in the sync log says how.',
  },
  UPLOAD_PAUSED: {
    status: 503,
    message: "Uploads to this peer are paused by its timetable",
    hint: "Nothing to do: the first sync after the pause ends resumes; to sync now, change the peer's upload timetable.",
  },
  KIT_INVALID: {
    status: 400,
    message: 'This file is not an Anemone recovery kit, or it is damaged',
    hint: 'Give the file downloaded from Admin → Recovery kit (anemone-<server>-recovery-kit.bin), unmodified.',
  },
  KIT_PASSPHRASE_WRONG: {
    status: 400,
    message: 'The passphrase does not open this recovery kit',
    hint: 'Check the passphrase chosen when the kit was downloaded (letters, spaces and case count); nothing was changed.',
  },
  KIT_NOT_CONFIGURED: {
    status: 409,
    message: 'No recovery kit has been made on this server yet',
    hint: 'Download a recovery kit first (Admin → Recovery kit); copies on the peers are kept up to date from then on.',
  },
  KEY_MISMATCH: {
    status: 409,
    message: 'This key does not open your backups',
    hint: 'Check you typed the key as it was shown at activation (13 groups of 4, or 44 characters ending in "="); nothing was changed.',
  },
  KEY_ENTRY_NOT_ALLOWED: {
    status: 409,
    message: 'Your account already has its encryption key',
    hint: 'To bring an older key back (a server rebuilt without its recovery kit), ask an administrator to mark your account as awaiting your key.',
  },
  RESTORE_NO_BACKUP: {
    status: 404,
    message: 'This peer holds no backup of this share',
    hint: 'Pick another peer on the Restore page, or sync the share to this peer first.',
  },
  RESTORE_NO_SNAPSHOT_AT: {
    status: 404,
    message: 'The peer keeps no snapshot of this share from that time or earlier',
    hint: "Choose a later time: the share's snapshots (Restore page) show how far back the peer's history goes, as its retention allows.",
  },
  RESTORE_NOT_FOUND: {
    status: 404,
    message: 'There is no such file or folder in this backup',
    hint: 'Browse the backup again: the file may have been deleted before the last sync.',
  },
  RESTORE_VERIFY_FAILED: {
    status: 502,
    message: 'The file on the peer is damaged or was altered; it was not restored',
    hint: "Restore it from another peer if you have one, and tell the peer's administrator; while the file is still on this server, a Force Sync sends a good copy again.",
  },
  RESTORE_FILE_MISSING: {
    status: 502,
    message: 'The file is missing on the peer; it was not restored',
    hint: "The backup on the peer is incomplete: restore it from another peer, or, while the file is still on this server, run a Force Sync.",
  },
  RESTORE_PEER_FAILED: {
    status: 502,
    message: 'The peer could not hand back the backup',
    hint: 'Check the peer is reachable and its settings (Peers → Test Connection), then try again.',
  },
  RESTORE_UNSAFE_PATH: {
    status: 409,
    message: 'The file would land outside the share, or a link or file is in the way; it was not restored',
    hint: 'Remove or rename what is in the way in the share (a symbolic link, or a file where a folder belongs), then restore again.',
  },
  RESTORE_WRITE_FAILED: {
    status: 500,
    message: 'The restored file could not be written',
    hint: 'Check that the share folder is writable and the disk has free space, then restore again.',
  },
  RESTORE_ALREADY_RUNNING: {
    status: 409,
    message: 'A restore into this share is already running',
    hint: 'Wait for it to finish; its progress is on the Restore page.',
  },
  RESTORE_INTERRUPTED: {
    status: 503,
    message: 'The server stopped while this restore was running',
    hint: 'Start the restore again: files already restored are recognised and not downloaded twice.',
  },
  RESTORE_CANCELLED: {
    status: 409,
    message: 'The restore was cancelled',
    hint: 'Files already restored stay in place; start the restore again to finish it: they are recognised and not downloaded twice.',
  },
  RESTORE_NOT_RUNNING: {
    status: 404,
    message: 'That restore is not running any more',
    hint: 'It has already ended: its report says how.',
  },
  RESTORE_IN_PROGRESS: {
    status: 409,
    message: 'A restore into this share is running, so the share is not synced now',
    hint: 'Nothing to do: a half-restored share would look like deleted files to the peer; it syncs again once the restore has finished.',
  },
  FILE_PATH_REFUSED: {
    status: 400,
    message: 'This file or folder name is not accepted',
    hint: 'Use a path inside the share: no "..", no leading "/", no backslash or NUL, no hidden name starting with "."; rename it and try again.',
  },
  FILE_NOT_FOUND: {
    status: 404,
    message: 'No such file or folder in the share',
    hint: 'It may have been moved or deleted meanwhile: reload the folder.',
  },
  FILE_NOT_REGULAR: {
    status: 409,
    message: 'This is not a regular file (a symbolic link, a pipe or a device); it is not served',
    hint: 'Only plain files and folders of a share can be opened from the web; whoever put the link there can replace it with the file itself.',
  },
  FILE_IN_THE_WAY: {
    status: 409,
    message: 'A symbolic link or a file is where a folder of this path belongs; nothing was written',
    hint: 'Rename or remove what is in the way in the share (links are never followed), or choose another folder.',
  },
  FOLDER_NOT_EMPTY: {
    status: 409,
    message: 'This folder still holds files; it was not deleted',
    hint: 'Delete the files in it first (one by one, so that nothing goes by mistake), then the folder.',
  },
  FILE_WRITE_FAILED: {
    status: 500,
    message: 'The file could not be written into the share',
    hint: 'Check that the share folder is writable and the disk has free space, then upload again.',
  },
  UPLOAD_DISK_FULL: {
    status: 507,
    message: "507 Insufficient Storage — this server's disk has no room for the upload",
    hint: 'Free space on the server (or ask its administrator to), then upload again; a paused upload resumes where it stopped.',
  },
  UPLOAD_TOO_LARGE: {
    status: 413,
    message: 'This file is larger than this server accepts for one upload',
    hint: 'Copy it over the network share (WebDAV) or ask the administrator to raise the limit.',
  },
  UPLOAD_NOT_FOUND: {
    status: 404,
    message: 'This upload is not known here: it expired, was cancelled or finished, or belongs to someone else',
    hint: 'Start the upload again; an unfinished upload is kept for 7 days after it started.',
  },
  UPLOAD_PROTOCOL_ERROR: {
    status: 409,
    message: "The upload request does not match the upload's state on the server",
    hint: 'The browser resumes by itself from where the server stands; if it keeps failing, cancel and upload the file again.',
  },
  NOTIFICATIONS_NOT_CONFIGURED: {
    status: 409,
    message: 'Nothing to test: no webhook URL and no email are set',
    hint: 'Enter a webhook URL or the email settings, save them, then send a test.',
  },
  OBJECT_STORE_UNAVAILABLE: {
    status: 503,
    message: "The peer's object storage (S3) did not answer or refused the write; nothing of this upload was kept",
    hint: "Nothing to do on the source: its next sync sends again what was refused. The peer's administrator checks that the S3 storage (ANEMONE_S3_ENDPOINT) is up and reachable.",
  },
  INCOMING_STORAGE_UNAVAILABLE: {
    status: 503,
    message: "This server's storage for its peers' backups (its disk or its S3 bucket) failed to store or read what was asked; nothing of this request was kept",
    hint: "Nothing to do on the source: its next sync tries again. The administrator of this server reads its log, which says what the storage answered (an I/O error of the disk, the S3 storage's refusal).",
  },
  OBJECT_STORE_CREDENTIALS_REJECTED: {
    status: 503,
    message: 'The S3 storage refused the access key: ANEMONE_S3_ACCESS_KEY_ID or ANEMONE_S3_SECRET_ACCESS_KEY is wrong',
    hint: "Copy the access key id and secret from the storage's console again (MinIO: Access Keys; Garage: `garage key info`), set them, then restart Anemone.",
  },
  OBJECT_STORE_ACCESS_DENIED: {
    status: 503,
    message: 'The S3 storage knows the access key but does not let it write, read and delete in the bucket',
    hint: 'Grant the key read, write and delete on the bucket (Garage: `garage bucket allow --read --write --owner`; MinIO: a readwrite policy), then restart Anemone.',
  },
  OBJECT_STORE_BUCKET_MISSING: {
    status: 503,
    message: 'The S3 bucket named in ANEMONE_S3_BUCKET does not exist on that storage',
    hint: 'Create the bucket (MinIO: `mc mb`; Garage: `garage bucket create`), or correct ANEMONE_S3_BUCKET or ANEMONE_S3_ENDPOINT, then restart Anemone.',
  },
  OBJECT_STORE_CLOCK_SKEW: {
    status: 503,
    message: "The S3 storage refused the request because this server's clock and the storage's differ by more than 15 minutes",
    hint: 'Set both clocks right (enable NTP: `timedatectl set-ntp true`), then restart Anemone.',
  },
  INCOMING_STORE_CHANGED: {
    status: 409,
    message: 'This server keeps backups of its peers in one place and is now configured for another: it would answer its sources as if their backups were gone',
    hint: 'Set ANEMONE_INCOMING_STORE (and ANEMONE_S3_BUCKET, ANEMONE_S3_PREFIX) back to what they were, then restart; to move the backups, copy them first (docs/install.md, "Backups of peers in S3 storage").',
  },
  INCOMING_MIGRATE_SERVER_RUNNING: {
    status: 409,
    message: 'Anemone is running on this data directory: its backups cannot be moved while sources write to them',
    hint: 'Stop the server (systemctl stop anemone, docker stop), run `anemone incoming migrate --to s3` again, then start it with ANEMONE_INCOMING_STORE=s3. If no Anemone runs there, the process named is another program: remove anemone.pid from the data directory.',
  },
  INCOMING_MIGRATE_NOTHING_TO_MOVE: {
    status: 409,
    message: 'This server does not keep its peers\' backups on its disk: there is nothing to move into the bucket',
    hint: 'The server already uses the bucket its settings name; start it with ANEMONE_INCOMING_STORE=s3 and the same ANEMONE_S3_* settings.',
  },
  INCOMING_MIGRATE_VERIFY_FAILED: {
    status: 502,
    message: 'An object read back from the S3 storage does not match the file on disk',
    hint: 'Nothing was switched and nothing deleted: run `anemone incoming migrate --to s3` again (it copies that object again); if it keeps failing, check the storage\'s health and free space.',
  },
  INCOMING_MIGRATE_FILE_CHANGED: {
    status: 409,
    message: 'A file of the incoming folder changed while it was being moved into the bucket',
    hint: 'Nothing was switched and nothing deleted. No Anemone server puts links or special files in the incoming folder: check who changed it (the message names the file), make sure no server runs on this data directory, then run `anemone incoming migrate --to s3` again.',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    message: "The server's database does not answer",
    hint: 'Look at the server log in data/logs/ for why (a full or read-only disk, a removed data directory), fix it, then restart Anemone.',
  },
  PART_NOT_LOADED: {
    status: 503,
    message: 'This server could not load the part that answers this request',
    hint: "The server's installation is incomplete or damaged: reinstall it (the same version), or pull its image again, then try again. Everything else keeps working meanwhile.",
  },
  INTERNAL: {
    status: 500,
    message: 'Something went wrong on the server',
    hint: "Try again; if it keeps happening, look at the server's log (its standard output: journalctl -u anemone, docker logs; or the file ANEMONE_LOG_FILE names).",
  },
} as const satisfies Record<string, { status: number; message: string; hint: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** An error meant for a person: a code from the catalogue, a message, and what to do. */
export class AnemoneError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string;
  readonly details: unknown;

  constructor(code: ErrorCode, options: { message?: string; hint?: string; details?: unknown; cause?: unknown } = {}) {
    const entry = errorCatalogue[code];
    super(options.message ?? entry.message, { cause: options.cause });
    this.name = 'AnemoneError';
    this.code = code;
    this.status = entry.status;
    this.hint = options.hint ?? entry.hint;
    this.details = options.details;
  }
}
