import type { ReactNode } from 'react';
import type { ApiError } from '../api/http';

/** What went wrong and what to do about it: the API's message and hint, never a stack. */
export function ErrorNotice({ error, title, onDismiss }: { error: ApiError | undefined; title?: string; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm">
      <div className="flex items-start justify-between gap-3">
        <div className="space-y-1">
          <p className="font-medium text-red-800">{title ? `${title}: ${error.message}` : error.message}</p>
          {error.hint && <p className="text-red-800/90">{error.hint}</p>}
        </div>
        {onDismiss && (
          <button type="button" onClick={onDismiss} className="rounded px-1 text-red-800 hover:bg-red-100" aria-label="Dismiss">
            ×
          </button>
        )}
      </div>
    </div>
  );
}

const TONES = {
  success: 'border-green-200 bg-green-50 text-green-900',
  info: 'border-sky-200 bg-sky-50 text-sky-900',
  warning: 'border-amber-300 bg-amber-50 text-amber-950',
  error: 'border-red-200 bg-red-50 text-red-900',
} as const;

export function Notice({ tone = 'info', title, children }: { tone?: keyof typeof TONES; title?: ReactNode; children?: ReactNode }) {
  return (
    <div role={tone === 'error' ? 'alert' : 'status'} className={`rounded-md border p-3 text-sm ${TONES[tone]}`}>
      {title && <p className="font-medium">{title}</p>}
      {children && <div className={title ? 'mt-1' : ''}>{children}</div>}
    </div>
  );
}
