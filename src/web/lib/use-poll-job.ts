import { useEffect, useState } from 'react';
import type { ApiError } from '../api/http';
import { asApiError } from './hooks';

/** Follows a job (a restore) every second until it leaves `running`. */
export function usePollJob<J extends { status: string }>(jobId: string | undefined, load: (jobId: string) => Promise<J>): { job: J | undefined; error: ApiError | undefined } {
  const [job, setJob] = useState<J>();
  const [error, setError] = useState<ApiError>();

  useEffect(() => {
    if (!jobId) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setJob(undefined);
    setError(undefined);
    const tick = async () => {
      try {
        const next = await load(jobId);
        if (stopped) return;
        setJob(next);
        if (next.status === 'running') timer = setTimeout(() => void tick(), 1000);
      } catch (caught) {
        if (!stopped) setError(asApiError(caught));
      }
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [jobId, load]);

  return { job, error };
}
