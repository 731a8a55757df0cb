import { formatCount } from '../lib/format';
import { Button } from './Button';

/** "51–100 of 523" with Newer and Older: offset paging of a list shown newest first. */
export function Pager({ offset, shown, total, pageSize, onOffset }: { offset: number; shown: number; total: number; pageSize: number; onOffset(offset: number): void }) {
  return (
    <nav aria-label="Pages" className="flex flex-wrap items-center justify-between gap-3 text-sm text-slate-700">
      <p aria-live="polite">{`${formatCount(offset + 1)}–${formatCount(offset + shown)} of ${formatCount(total)}`}</p>
      <div className="flex gap-2">
        <Button size="sm" variant="secondary" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - pageSize))}>
          Newer
        </Button>
        <Button size="sm" variant="secondary" disabled={offset + shown >= total} onClick={() => onOffset(offset + pageSize)}>
          Older
        </Button>
      </div>
    </nav>
  );
}
