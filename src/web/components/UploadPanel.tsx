import { displayKeyPath } from '../lib/file-names';
import { formatBytes, formatCount, percent } from '../lib/format';
import type { UploadItem, UploadQueue } from '../lib/upload-queue';
import { Button } from './Button';
import { ProgressBar } from './ProgressBar';

const STATUS_WORDS: Record<UploadItem['status'], string> = {
  waiting: 'Waiting',
  uploading: 'Uploading',
  done: 'Uploaded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

function ItemRow({ item, onCancel }: { item: UploadItem; onCancel(): void }) {
  const active = item.status === 'waiting' || item.status === 'uploading';
  const landed = item.placed?.renamed ? `Saved as ${displayKeyPath(item.placed.path)}: a file of that name was already there` : undefined;
  return (
    <li className="space-y-1 px-4 py-2 sm:px-5">
      <div className="flex items-center gap-3">
        <span className="min-w-0 flex-1 truncate text-sm text-slate-900" title={`${item.share}/${item.target}`}>
          <span className="text-slate-500">{item.share}/</span>
          {item.target}
        </span>
        <span className={`shrink-0 text-xs ${item.status === 'failed' ? 'font-medium text-red-800' : 'text-slate-600'}`}>
          {STATUS_WORDS[item.status]}
          {item.status === 'uploading' ? ` ${percent(item.sent, item.size)} %` : ''} · {formatBytes(item.size)}
        </span>
        {active && (
          <Button size="sm" variant="ghost" onClick={onCancel} aria-label={`Cancel ${item.target}`}>
            Cancel
          </Button>
        )}
      </div>
      {item.status === 'uploading' && (
        <div role="progressbar" aria-label={`Upload of ${item.target}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent(item.sent, item.size)} className="h-1 w-full overflow-hidden rounded-full bg-slate-200">
          <div className="h-full rounded-full bg-teal-600" style={{ width: `${percent(item.sent, item.size)}%` }} />
        </div>
      )}
      {landed && <p className="text-xs text-slate-600">{landed}</p>}
      {item.error && (
        <p className="text-xs text-red-800">
          {item.error.message}. {item.error.hint}
        </p>
      )}
    </li>
  );
}

/** The uploads of this visit: all of them as one bar, then each file with its own, its outcome, and Cancel. */
export function UploadPanel({ queue }: { queue: UploadQueue }) {
  const { items } = queue;
  if (items.length === 0) return null;
  const counted = items.filter((item) => item.status !== 'cancelled');
  const active = items.some((item) => item.status === 'waiting' || item.status === 'uploading');
  const failed = items.filter((item) => item.status === 'failed').length;
  return (
    <section aria-label="Uploads" className="rounded-lg border border-slate-200 bg-white shadow-xs">
      <header className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-4 py-3 sm:px-5">
        <div className="min-w-0 flex-1 space-y-1">
          <h2 className="text-base font-semibold text-slate-900">{active ? 'Uploading' : 'Uploads'}</h2>
          <ProgressBar
            label="All uploads"
            filesDone={counted.filter((item) => item.status === 'done').length}
            filesTotal={counted.length}
            bytesDone={counted.reduce((sum, item) => sum + (item.status === 'done' ? item.size : item.sent), 0)}
            bytesTotal={counted.reduce((sum, item) => sum + item.size, 0)}
          />
          {failed > 0 && <p className="text-xs font-medium text-red-800">{formatCount(failed, 'file')} failed: see below why.</p>}
        </div>
        <div className="flex gap-2">
          {active ? (
            <Button variant="secondary" size="sm" onClick={queue.cancelAll}>
              Cancel all
            </Button>
          ) : (
            <Button variant="ghost" size="sm" onClick={queue.clearFinished}>
              Clear the list
            </Button>
          )}
        </div>
      </header>
      <ul className="max-h-80 divide-y divide-slate-200 overflow-y-auto">
        {items.map((item) => (
          <ItemRow key={item.id} item={item} onCancel={() => queue.cancel(item.id)} />
        ))}
      </ul>
    </section>
  );
}
