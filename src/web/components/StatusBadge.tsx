const STYLES = {
  good: 'bg-green-50 text-green-800 ring-green-600/30',
  bad: 'bg-red-50 text-red-800 ring-red-600/30',
  warn: 'bg-amber-50 text-amber-900 ring-amber-600/40',
  busy: 'bg-sky-50 text-sky-800 ring-sky-600/30',
  neutral: 'bg-slate-100 text-slate-700 ring-slate-500/30',
} as const;

export type Tone = keyof typeof STYLES;

export function Badge({ tone, children }: { tone: Tone; children: string }) {
  return <span className={`inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${STYLES[tone]}`}>{children}</span>;
}

/** A peer's status (PRODUCT.md §8) in words, with a colour that matches. */
const PEER_STATUS: Record<string, [Tone, string]> = {
  online: ['good', 'Online'],
  unconfirmed: ['warn', 'Fingerprint not confirmed'],
  offline: ['bad', 'Offline'],
  unauthorized: ['bad', 'Unauthorised'],
  forbidden: ['bad', 'Forbidden'],
  'certificate-changed': ['bad', 'Certificate changed'],
  error: ['bad', 'Error'],
};

export function PeerStatusBadge({ status, enabled = true }: { status: string | null; enabled?: boolean }) {
  if (!enabled) return <Badge tone="neutral">Disabled</Badge>;
  const [tone, text] = (status && PEER_STATUS[status]) || ['neutral', 'Not tested yet'];
  return <Badge tone={tone}>{text}</Badge>;
}

const SYNC_STATUS: Record<string, [Tone, string]> = {
  running: ['busy', 'Running'],
  success: ['good', 'Success'],
  failure: ['bad', 'Failed'],
  interrupted: ['warn', 'Interrupted'],
  cancelled: ['neutral', 'Cancelled'],
};

/** A success that left files out is never a plain green one. */
export function SyncStatusBadge({ status, notBackedUp = 0 }: { status: string; notBackedUp?: number }) {
  if (status === 'success' && notBackedUp > 0) return <Badge tone="warn">{`Success, ${notBackedUp} not backed up`}</Badge>;
  const [tone, text] = SYNC_STATUS[status] ?? ['neutral', status];
  return <Badge tone={tone}>{text}</Badge>;
}
