import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbort } from '../api';

export interface AsyncState<T> {
  /** The latest successful result; kept while a reload runs, so the view does not flash empty. */
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Run the loader again with the same inputs. */
  reload: () => void;
}

/**
 * Runs `load` whenever `deps` change (or `reload()` is called), aborting the previous run.
 * Only the latest run may set state, so a slow old answer never overwrites a newer one.
 */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef.current(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!ctl.signal.aborted && !isAbort(error)) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => ctl.abort();
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
