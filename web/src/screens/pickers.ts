// Camera styles and film effects with their German labels, read once from the API (the app
// keeps no copy of the labels).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../api/client';
import { PickersDocument, type PickersQuery } from '../gql/graphql';

let cached: Promise<PickersQuery> | null = null;

function load(): Promise<PickersQuery> {
  cached ??= request(PickersDocument).catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

export function usePickers() {
  const [data, setData] = useState<PickersQuery | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    let live = true;
    load()
      .then((d) => live && setData(d))
      .catch((err: unknown) => live && setError(err instanceof ApiError ? err : null));
    return () => {
      live = false;
    };
  }, []);
  const cameraLabel = (value: string) => data?.cameraStyles.find((o) => o.value === value)?.label ?? '…';
  const effectLabel = (value: string) => data?.filmEffects.find((o) => o.value === value)?.label ?? '…';
  return { data, error, cameraLabel, effectLabel };
}
