// Data for the screens: a query read when the screen opens and again whenever the change bus
// names one of its topics (a change here, in another tab, or a reconnection).

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { TypedDocumentString } from './gql/graphql';
import { ApiError, request } from './api/client';
import { onChange } from './bus';

export interface QueryState<R> {
  data: R | null;
  error: ApiError | null;
  loading: boolean;
  refetch: () => void;
  setData: (update: (data: R) => R) => void;
}

export function useQuery<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  topics: string[],
  enabled = true,
): QueryState<R> {
  const [data, setDataState] = useState<R | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(enabled);
  const key = JSON.stringify(variables);
  const sequence = useRef(0);

  const run = useCallback(() => {
    if (!enabled) return;
    const mine = ++sequence.current;
    setLoading(true);
    (request as (d: TypedDocumentString<R, V>, v: V) => Promise<R>)(document, JSON.parse(key) as V)
      .then((result) => {
        if (mine !== sequence.current) return;
        setDataState(result);
        setError(null);
      })
      .catch((err: unknown) => {
        if (mine !== sequence.current) return;
        setError(err instanceof ApiError ? err : new ApiError('INTERNAL', String(err)));
      })
      .finally(() => {
        if (mine === sequence.current) setLoading(false);
      });
  }, [document, key, enabled]);

  useEffect(() => {
    setDataState(null);
    run();
  }, [run]);

  const topicKey = topics.join('|');
  useEffect(
    () =>
      onChange((topic) => {
        if (topic === '*' || topicKey.split('|').includes(topic)) run();
      }),
    [run, topicKey],
  );

  const setData = useCallback((update: (data: R) => R) => {
    setDataState((old) => (old === null ? old : update(old)));
  }, []);

  return { data, error, loading, refetch: run, setData };
}

export interface Page<N> {
  nodes: N[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Further pages of a connection, loaded with `after: endCursor` below the first page (which
 * the screen's query holds and reads again on changes). */
export function useMorePages<N extends { id: string }, V>(
  document: TypedDocumentString<unknown, V>,
  variables: (after: string) => V,
  select: (data: unknown) => Page<N> | null,
  first: Page<N> | null,
) {
  const [more, setMore] = useState<N[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const firstKey = first ? first.nodes.map((n) => n.id).join(',') : '';

  // A new first page: later pages stay, without the records the first page now holds.
  useEffect(() => {
    if (!first) return;
    const seen = new Set(first.nodes.map((n) => n.id));
    setMore((old) => old.filter((n) => !seen.has(n.id)));
    if (more.length === 0) {
      setCursor(first.pageInfo.endCursor);
      setHasMore(first.pageInfo.hasNextPage);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [firstKey]);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    setError(null);
    (request as (d: TypedDocumentString<unknown, V>, v: V) => Promise<unknown>)(document, variables(cursor))
      .then((result) => {
        const page = select(result);
        if (!page) return;
        setMore((old) => {
          const seen = new Set(old.map((n) => n.id));
          return [...old, ...page.nodes.filter((n) => !seen.has(n.id))];
        });
        setCursor(page.pageInfo.endCursor);
        setHasMore(page.pageInfo.hasNextPage);
      })
      .catch((err: unknown) => setError(err instanceof ApiError ? err : null))
      .finally(() => setLoadingMore(false));
  }, [cursor, loadingMore, document, variables, select]);

  const all = first ? [...first.nodes, ...more.filter((n) => !first.nodes.some((f) => f.id === n.id))] : [];
  return { nodes: all, hasMore, loadMore, loadingMore, error, setMore };
}

/** Sets the document title for the current screen. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} – videoprompt` : 'videoprompt';
  }, [title]);
}

/** The screen's heading takes the focus when the screen opens, so that keyboard and screen
 * reader users start reading at the new screen instead of at the old link. */
export function useHeadingFocus() {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (document.activeElement === document.body || document.activeElement?.closest('main, nav, header')) {
      ref.current?.focus({ preventScroll: true });
    }
  }, []);
  return ref;
}
