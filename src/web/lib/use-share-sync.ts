import { useCallback, useEffect, useRef, useState } from 'react';
import { sharesApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { ShareSyncStatus, SyncStarted } from '../api/types';
import { asApiError } from './hooks';

const POLL_MS = 1000;

export interface ShareSync {
  /** The runs this page follows: in progress, then finished. */
  status: ShareSyncStatus | undefined;
  /** Peers that refused to start a run (one already running to that peer…). */
  refused: SyncStarted['refused'];
  error: ApiError | undefined;
  starting: boolean;
  active: boolean;
  start(): Promise<void>;
  /** Cancels one of the share's running syncs; resolves once it has ended. */
  cancel(logId: number): Promise<void>;
}

/**
 * Sync on one share, and its live progress, from what its owner may see
 * (GET /api/shares/:id/sync): polled every second while a run goes on,
 * then once more so the finished runs show their result.
 */
export function useShareSync(shareId: number, onFinished: () => void): ShareSync {
  const [status, setStatus] = useState<ShareSyncStatus>();
  const [refused, setRefused] = useState<SyncStarted['refused']>([]);
  const [error, setError] = useState<ApiError>();
  const [starting, setStarting] = useState(false);
  const followed = useRef<number[]>([]);
  const finishedRef = useRef(onFinished);
  finishedRef.current = onFinished;

  const poll = useCallback(async (): Promise<boolean> => {
    const next = await sharesApi.syncStatus(shareId, followed.current);
    // a run started elsewhere (the schedule, an administrator) is followed too
    for (const run of next.running) if (!followed.current.includes(run.logId)) followed.current.push(run.logId);
    setStatus(next);
    return next.running.length > 0;
  }, [shareId]);

  const [active, setActive] = useState(false);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const running = await poll();
        if (stopped) return;
        if (running) timer = setTimeout(() => void tick(), POLL_MS);
        else if (active) {
          setActive(false);
          finishedRef.current();
        }
        if (running && !active) setActive(true);
      } catch (caught) {
        if (!stopped) {
          setError(asApiError(caught));
          setActive(false);
        }
      }
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [poll, active]);

  const start = useCallback(async () => {
    setStarting(true);
    setError(undefined);
    setRefused([]);
    try {
      const result = await sharesApi.sync(shareId);
      followed.current = result.started.map((run) => run.logId);
      setRefused(result.refused);
      setStatus({ running: [], runs: [] });
      setActive(true);
    } catch (caught) {
      const refusal = asApiError(caught);
      setError(refusal);
      // a run already going (the schedule's, say): follow it rather than show nothing
      if (refusal.code === 'SYNC_ALREADY_RUNNING') setActive(true);
    } finally {
      setStarting(false);
    }
  }, [shareId]);

  const cancel = useCallback(
    async (logId: number) => {
      await sharesApi.cancelSync(shareId, logId);
      await poll();
    },
    [shareId, poll],
  );

  return { status, refused, error, starting, active, start, cancel };
}
