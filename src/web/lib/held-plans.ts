/**
 * Runs a guard held for an administrator's confirmation (POST
 * /api/admin/sync/confirm-deletions): which guard, and the words of its
 * button and dialog. One place, so the dashboard and the sync logs agree.
 */
export interface HeldGuard {
  /** Which guard held the run, for a badge. */
  label: string;
  button: string;
  title: string;
  confirmLabel: string;
  /** What the administrator checks before going on. */
  advice: string;
}

const HELD_GUARDS: Record<string, HeldGuard> = {
  MASS_DELETION_GUARD: {
    label: 'Held: mass-deletion guard',
    button: 'Confirm the deletions…',
    title: 'Delete files on the peer?',
    confirmLabel: 'Sync and delete',
    advice: "Check the share is mounted and holds the user's files. Go on only if these deletions are wanted: the peer's copies of the missing files are removed.",
  },
  RANSOMWARE_TRIPWIRE: {
    label: 'Held: ransomware tripwire',
    button: 'Confirm the changes…',
    title: 'Send the rewritten files to the peer?',
    confirmLabel: 'Sync the changes',
    advice:
      "Open a few of the user's files on this server first: ransomware encrypts files in place or renames them (to .locked, say). Go on only if the changes are wanted; the peer keeps the earlier versions either way.",
  },
};

/** The guard that held a run with this error code, or undefined when no guard did. */
export function heldGuardOf(errorCode: string | null | undefined): HeldGuard | undefined {
  return errorCode ? HELD_GUARDS[errorCode] : undefined;
}
