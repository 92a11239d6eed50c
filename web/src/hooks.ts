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
 * the screen's query holds and reads again on changes). When the first page changes while more
 * pages are shown (a record added or deleted here or elsewhere), the records below it are read
 * again from its new end, as many as were shown plus those pushed off the first page: otherwise
 * a record pushed off the first page would fall into the gap between it and the pages read
 * before, and never show. */
export function useMorePages<N extends { id: string }, V>(
  document: TypedDocumentString<unknown, V>,
  variables: (after: string, first: number) => V,
  select: (data: unknown) => Page<N> | null,
  first: Page<N> | null,
  pageSize: number,
) {
  const [more, setMore] = useState<N[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const firstKey = first ? first.nodes.map((n) => n.id).join(',') : '';
  const shownMore = useRef(0);
  shownMore.current = more.length;
  /** Bumped whenever the pages below start again, so an answer to an older start is dropped. */
  const generation = useRef(0);
  const previousFirst = useRef<string[]>([]);

  const read = (after: string, count: number) =>
    (request as (d: TypedDocumentString<unknown, V>, v: V) => Promise<unknown>)(document, variables(after, count)).then(select);

  useEffect(() => {
    if (!first) return;
    const mine = ++generation.current;
    setLoadingMore(false);
    const ids = first.nodes.map((n) => n.id);
    const pushedDown = previousFirst.current.filter((id) => !ids.includes(id)).length;
    previousFirst.current = ids;
    const wanted = shownMore.current === 0 ? 0 : shownMore.current + pushedDown;
    if (wanted === 0 || !first.pageInfo.hasNextPage || !first.pageInfo.endCursor) {
      setMore([]);
      setCursor(first.pageInfo.endCursor);
      setHasMore(first.pageInfo.hasNextPage);
      return;
    }
    // Until the records below are read again, the old ones stay (without those the first page
    // now holds).
    const seen = new Set(first.nodes.map((n) => n.id));
    setMore((old) => old.filter((n) => !seen.has(n.id)));
    void (async () => {
      let after: string | null = first.pageInfo.endCursor;
      let next = true;
      const nodes: N[] = [];
      while (next && after !== null && nodes.length < wanted) {
        const page = await read(after, Math.min(MAX_PAGE, wanted - nodes.length));
        if (!page) break;
        nodes.push(...page.nodes);
        after = page.pageInfo.endCursor;
        next = page.pageInfo.hasNextPage;
      }
      if (mine !== generation.current) return;
      setMore(nodes);
      setCursor(after);
      setHasMore(next && after !== null);
    })().catch((err: unknown) => {
      if (mine === generation.current) setError(err instanceof ApiError ? err : null);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [firstKey]);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore) return;
    const mine = generation.current;
    setLoadingMore(true);
    setError(null);
    read(cursor, pageSize)
      .then((page) => {
        if (!page || mine !== generation.current) return;
        setMore((old) => {
          const seen = new Set(old.map((n) => n.id));
          return [...old, ...page.nodes.filter((n) => !seen.has(n.id))];
        });
        setCursor(page.pageInfo.endCursor);
        setHasMore(page.pageInfo.hasNextPage);
      })
      .catch((err: unknown) => setError(err instanceof ApiError ? err : null))
      .finally(() => {
        if (mine === generation.current) setLoadingMore(false);
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cursor, loadingMore, document, variables, select, pageSize]);

  const all = first ? [...first.nodes, ...more.filter((n) => !first.nodes.some((f) => f.id === n.id))] : [];
  return { nodes: all, hasMore, loadMore, loadingMore, error, setMore };
}

/** The API's largest page (`first` at most 100). */
const MAX_PAGE = 100;

/** Sets the document title for the current screen. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} – videoprompt` : 'videoprompt';
  }, [title]);
}

/** The screen's heading takes the focus when the screen opens, so that keyboard and screen
 * reader users start reading at the new screen instead of at the old link. A screen whose data
 * is on its way shows its heading only once the data is there: until then, each render looks
 * again (the link that opened the screen is gone by then, and the focus with it). */
export function useHeadingFocus() {
  const ref = useRef<HTMLHeadingElement>(null);
  const pending = useRef(true);
  useEffect(() => {
    if (!pending.current || !ref.current) return;
    pending.current = false;
    if (document.activeElement === document.body || document.activeElement?.closest('main, nav, header')) {
      ref.current.focus({ preventScroll: true });
    }
  });
  return ref;
}
