// Hooks both apps build screens on: loading something (and loading it again), and following a store.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again; resolves when this load has settled. */
  reload(): Promise<void>;
  /** Changes the loaded data in place (an item made or changed here), without loading again. */
  setData(update: (current: T | undefined) => T): void;
}

/**
 * Runs `load` on mount and when `deps` change; keeps the last data while reloading and after a failure. When
 * loads overlap, the last one started wins.
 */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const generation = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, error: undefined, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    void reload();
    // A load still under way when the component goes answers no one.
    return () => {
      generation.current++;
    };
  }, [reload]);
  const setData = useCallback((update: (current: T | undefined) => T) => setState((s) => ({ ...s, data: update(s.data) })), []);
  return { ...state, reload, setData };
}

/** Subscribes to anything with subscribe/getSnapshot and re-renders when it changes. */
export function useStore<T>(store: { subscribe(l: () => void): () => void; getSnapshot(): T }): T {
  const [, force] = useState(0);
  useEffect(() => store.subscribe(() => force((n) => n + 1)), [store]);
  return store.getSnapshot();
}
