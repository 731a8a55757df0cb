import type { TestConnectionResult } from '../api/types';
import { Button } from './Button';
import { Fingerprint } from './Fingerprint';

/**
 * The result of Test Connection in words (PRODUCT.md §4), and the peer's
 * certificate fingerprint for the administrator to compare with the one on
 * the peer's Settings page before confirming it.
 */
export function TestResultPanel({
  result,
  pinnedFingerprint,
  onConfirmFingerprint,
  confirming = false,
}: {
  result: TestConnectionResult;
  /** The fingerprint already pinned (or about to be saved), if any. */
  pinnedFingerprint: string | null | undefined;
  onConfirmFingerprint?: (fingerprint: string) => void;
  confirming?: boolean;
}) {
  const seen = result.fingerprint;
  const confirmable = seen !== undefined && seen !== pinnedFingerprint && (result.ok || result.outcome === 'PEER_CERTIFICATE_CHANGED');
  const tone = result.ok ? 'border-green-300 bg-green-50 text-green-950' : 'border-red-200 bg-red-50 text-red-950';
  return (
    <div role="status" data-testid="test-result" data-outcome={result.outcome} className={`space-y-2 rounded-md border p-3 text-sm ${tone}`}>
      {/* the API's message starts with what happened in a few words: "401 Unauthorized — …", "Connection refused — …" */}
      <p className="font-semibold">{result.message}</p>
      {result.hint && <p className="opacity-90">{result.hint}</p>}
      {result.retryAfterSeconds !== undefined && <p>Try again in {result.retryAfterSeconds} s.</p>}
      {(result.serverName || seen) && (
        <dl className="grid gap-x-4 gap-y-1 pt-1 sm:grid-cols-[max-content_1fr]">
          {result.serverName && (
            <>
              <dt className="opacity-80">Server name</dt>
              <dd className="font-medium">{result.serverName}</dd>
            </>
          )}
          {seen && (
            <>
              <dt className="opacity-80">{result.outcome === 'PEER_CERTIFICATE_CHANGED' ? 'Certificate now presented' : 'Certificate fingerprint'}</dt>
              <dd>
                <Fingerprint value={seen} testId="seen-fingerprint" />
              </dd>
            </>
          )}
        </dl>
      )}
      {confirmable && onConfirmFingerprint && (
        <div className="space-y-2 border-t border-current/15 pt-2">
          {result.outcome === 'PEER_CERTIFICATE_CHANGED' && (
            <p>Accept this new certificate only if the peer&apos;s administrator confirms it changed (a reinstall, a new certificate) and it matches their Settings page.</p>
          )}
          <Button size="sm" variant={result.outcome === 'PEER_CERTIFICATE_CHANGED' ? 'danger' : 'primary'} busy={confirming} onClick={() => onConfirmFingerprint(seen)}>
            {result.outcome === 'PEER_CERTIFICATE_CHANGED' ? 'Accept the new certificate' : 'Confirm fingerprint'}
          </Button>
        </div>
      )}
      {seen && seen === pinnedFingerprint && result.ok && <p className="font-medium">This fingerprint is confirmed.</p>}
    </div>
  );
}
