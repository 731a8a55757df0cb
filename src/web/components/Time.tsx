import { formatAbsolute, formatRelative } from '../lib/format';
import { useNow } from '../lib/hooks';

/** A time as "3 minutes ago", with the exact date and time on hover (and for screen readers, in the datetime). */
export function RelativeTime({ iso, never = 'Never' }: { iso: string | null | undefined; never?: string }) {
  const now = useNow();
  if (!iso) return <span className="text-slate-600">{never}</span>;
  return (
    <time dateTime={iso} title={formatAbsolute(iso)} className="cursor-help whitespace-nowrap underline decoration-slate-300 decoration-dotted underline-offset-4">
      {formatRelative(iso, now)}
    </time>
  );
}

/** A time written out in full, with the relative form on hover: for things like the next scheduled run. */
export function AbsoluteTime({ iso, never = '—', timeZone }: { iso: string | null | undefined; never?: string; timeZone?: string }) {
  const now = useNow();
  if (!iso) return <span className="text-slate-600">{never}</span>;
  return (
    <time dateTime={iso} title={formatRelative(iso, now)}>
      {formatAbsolute(iso, timeZone)}
    </time>
  );
}
