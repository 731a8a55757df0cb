import { dashboardApi } from '../api/client';
import type { Verdict } from '../api/types';
import { formatCount } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { AbsoluteTime, RelativeTime } from './Time';

/** When a reason's time means "since" and when it means "last seen". */
const AT_LABEL: Record<string, string> = {
  PEER_NOT_ONLINE: 'last seen online',
};

/**
 * The overview's headline: "All 4 shares backed up, the oldest 3 minutes
 * ago", or what needs attention and what to do — first thing on the page.
 */
export function BackupVerdict({ verdict, nextRunAt }: { verdict: Verdict; nextRunAt: string | null }) {
  const ok = verdict.state === 'ok';
  const tone = ok ? 'border-green-300 bg-green-50 text-green-950' : verdict.state === 'attention' ? 'border-amber-300 bg-amber-50 text-amber-950' : 'border-slate-200 bg-white text-slate-900';
  return (
    // a fixed name, not the headline: the headline changes, and a page's regions are found by name
    <section aria-label="At a glance" data-testid="backup-verdict" data-state={verdict.state} className={`rounded-lg border p-4 shadow-xs ${tone}`}>
      <h2 className="text-lg font-semibold">
        <Headline verdict={verdict} />
      </h2>
      {verdict.reasons.length > 0 && (
        <ul className="mt-3 space-y-2 text-sm">
          {verdict.reasons.map((reason, index) => (
            <li key={`${reason.code}:${index}`} data-testid="verdict-reason">
              <p className="font-medium">
                {reason.message}
                {reason.at && (
                  <span className="font-normal">
                    {' '}
                    · {AT_LABEL[reason.code] ?? 'since'} <RelativeTime iso={reason.at} />
                  </span>
                )}
              </p>
              <p className="opacity-90">{reason.hint}</p>
            </li>
          ))}
        </ul>
      )}
      <p className="mt-3 text-sm opacity-90">
        {nextRunAt ? (
          <>
            Next scheduled sync: <AbsoluteTime iso={nextRunAt} /> (<RelativeTime iso={nextRunAt} />)
          </>
        ) : (
          'Automatic sync is off: backups are sent only with Sync now or Force Sync.'
        )}
      </p>
    </section>
  );
}

function Headline({ verdict }: { verdict: Verdict }) {
  const shares = formatCount(verdict.sharesTotal, 'share');
  if (verdict.state === 'nothing-to-back-up') return <>No backup to watch yet: no activated user has a synced share.</>;
  if (verdict.state === 'ok') {
    return verdict.sharesTotal === 1 ? (
      <>
        The backup is up to date: last synced <RelativeTime iso={verdict.oldestBackupAt} />
      </>
    ) : (
      <>
        All {shares} backed up, the oldest <RelativeTime iso={verdict.oldestBackupAt} />
      </>
    );
  }
  const things = verdict.reasons.length === 1 ? 'One thing needs' : `${formatCount(verdict.reasons.length)} things need`;
  return (
    <>
      {things} attention · {formatCount(verdict.sharesBackedUp)} of {shares} backed up
    </>
  );
}

/** A user's own headline on My backup: their shares only, followed as the peers' status changes. */
export function OwnBackupVerdict() {
  const dashboard = useLoad(dashboardApi.get, { pollMs: 30_000 });
  if (!dashboard.data) return null;
  return (
    <div className="mb-6">
      <BackupVerdict verdict={dashboard.data.verdict} nextRunAt={dashboard.data.nextRunAt} />
    </div>
  );
}
