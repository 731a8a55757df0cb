import { restoreApi } from '../api/client';
import type { RestoreFile } from '../api/types';
import { formatAbsolute, formatBytes, formatCount } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { Button, buttonClass, Spinner } from './Button';
import { ErrorNotice } from './Notice';
import { AbsoluteTime } from './Time';

/** The distinct contents one file had on the peer, newest first, each to download. */
export function FileVersionsPanel({ peerId, share, file, onClose }: { peerId: number; share: string; file: RestoreFile; onClose(): void }) {
  const versions = useLoad(() => restoreApi.versions(peerId, share, file.path), { deps: [peerId, share, file.path] });
  const headingId = `versions-${file.path}`;
  return (
    <section aria-labelledby={headingId} className="rounded-md border border-slate-200 bg-slate-50 px-3 py-3">
      <div className="flex flex-wrap items-center gap-2">
        <h3 id={headingId} className="mr-auto min-w-0 truncate text-sm font-semibold text-slate-900">
          Versions of {file.name}
        </h3>
        <Button size="sm" variant="ghost" onClick={onClose}>
          Close
        </Button>
      </div>
      <ErrorNotice error={versions.error} />
      {versions.loading && <Spinner label="Asking the peer…" />}
      {versions.data && (
        <>
          <p className="mt-1 text-xs text-slate-600">{formatCount(versions.data.length, 'version')} kept, newest first.</p>
          <ul className="mt-2 divide-y divide-slate-200">
            {versions.data.map((version, index) => (
              <li key={version.snapshot} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
                <span className="min-w-0 flex-1 text-slate-900">
                  <AbsoluteTime iso={version.at} />
                  {index === 0 && <span className="ml-2 text-xs text-slate-600">(newest)</span>}
                </span>
                <span className="w-24 text-right text-slate-600">{formatBytes(version.size)}</span>
                <a
                  href={restoreApi.fileUrl(peerId, share, file.path, version.snapshot)}
                  download={file.name}
                  className={buttonClass('secondary', 'sm')}
                  aria-label={`Download ${file.name} as of ${formatAbsolute(version.at)}`}
                >
                  Download
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
