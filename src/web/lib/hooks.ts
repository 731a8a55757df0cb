import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/http';

/** Any thrown value as an ApiError, so the page shows a message and a hint, never a stack. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, {
    code: 'UNEXPECTED',
    message: 'Something went wrong in the page',
    hint: 'Reload the page and try again.',
  });
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** Loads again; quietly (no loading state) when data is already shown. */
  reload(): Promise<void>;
}

/**
 * Loads data for a page, and again every `pollMs` while the page shows
 * (a sync's progress, say). A load that ends after the page left is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, options: { pollMs?: number | undefined; deps?: unknown[] } = {}): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  // bumped when the page leaves or its deps change: an answer to an older load is dropped
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = generation.current;
    try {
      const value = await loadRef.current();
      if (mine !== generation.current) return;
      setData(value);
      setError(undefined);
    } catch (caught) {
      if (mine === generation.current) setError(asApiError(caught));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  const deps = options.deps ?? [];
  useEffect(() => {
    generation.current++;
    setLoading(true);
    void reload();
    return () => {
      generation.current++;
    };
  }, [reload, ...deps]);

  useEffect(() => {
    if (!options.pollMs) return;
    const timer = setInterval(() => void reload(), options.pollMs);
    return () => clearInterval(timer);
  }, [options.pollMs, reload]);

  return { data, error, loading, reload };
}

/** Runs an action (a button's), tracking that it runs and what went wrong. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setRunning(true);
      setError(undefined);
      try {
        return await action(...args);
      } catch (caught) {
        setError(asApiError(caught));
        return undefined;
      } finally {
        setRunning(false);
      }
    },
    [action],
  );
  return { run, running, error, clearError: () => setError(undefined) };
}

/** "Now", ticking, so relative times ("2 minutes ago") stay true on a page left open. */
export function useNow(everyMs = 30_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export interface ConfirmedAction<T> {
  /** What the dialog asks about; undefined while it is closed. */
  target: T | undefined;
  busy: boolean;
  error: ApiError | undefined;
  /** Opens the dialog about `target`. */
  ask(target: T): void;
  /** Closes the dialog, forgetting any error. */
  cancel(): void;
  /** Runs the action; closes the dialog on success, else keeps it open with the error. */
  confirm(): Promise<void>;
}

/**
 * An action asked for in a confirmation dialog (delete a peer, a user…):
 * the target, the busy flag and the error the dialog shows. `then` runs
 * after a success (usually reloading the list).
 */
export function useConfirmedAction<T>(perform: (target: T) => Promise<unknown>, then?: () => Promise<unknown>): ConfirmedAction<T> {
  const [target, setTarget] = useState<T>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  return {
    target,
    busy,
    error,
    ask(next) {
      setError(undefined);
      setTarget(next);
    },
    cancel() {
      setTarget(undefined);
      setError(undefined);
    },
    async confirm() {
      if (target === undefined) return;
      setBusy(true);
      setError(undefined);
      try {
        await perform(target);
        setTarget(undefined);
        await then?.();
      } catch (caught) {
        setError(asApiError(caught));
      } finally {
        setBusy(false);
      }
    },
  };
}
