// Live updates: GraphQL subscriptions over one WebSocket to /graphql (graphql-transport-ws, the
// maintained `graphql-ws` client). The token goes in `connection_init`.
//
// Robustness: the socket opens when a screen first subscribes and reconnects by itself, with
// a short randomised backoff and no limit on attempts, after the server restarts or the
// network drops; graphql-ws then subscribes again, and the server's first event of each
// subscription is the record's current state, so nothing stays shown as running that is not.
// Every reconnection also tells the screens to read their data again (bus topic '*'). A close
// with 4403 means the session has ended: the app signs out and asks to sign in again.

import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from '../gql/graphql';
import { getToken, onSessionChange, setToken } from '../session';
import { changedHere } from '../bus';
import { ApiError, errorFromJson, NETWORK, noticeExpiry } from './client';

export type LiveState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

let client: Client | null = null;
let state: LiveState = 'idle';
const stateListeners = new Set<(state: LiveState) => void>();

function setState(next: LiveState) {
  if (next === state) return;
  state = next;
  stateListeners.forEach((l) => l(state));
}

export function liveState(): LiveState {
  return state;
}

export function onLiveState(listener: (state: LiveState) => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

const SESSION_ENDED = 4403;
const NORMAL_CLOSURE = 1000;
/** Subscriptions running now. */
let active = 0;

function isClose(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}

function build(): Client {
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const token = getToken();
  let everConnected = false;
  return createClient({
    url: `${scheme}${location.host}/graphql`,
    lazy: true,
    lazyCloseTimeout: 5_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    // A ping every 10 s notices a connection that died without a close (a laptop waking up).
    keepAlive: 10_000,
    connectionParams: () => (token ? { Authorization: `Bearer ${token}` } : {}),
    shouldRetry: (event) => !(isClose(event) && event.code === SESSION_ENDED),
    retryWait: async (retries) => {
      const ms = Math.min(250 * 2 ** retries, 3_000) + Math.random() * 250;
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    on: {
      connecting: () => setState(everConnected ? 'reconnecting' : 'connecting'),
      connected: () => {
        const again = everConnected;
        everConnected = true;
        setState('connected');
        if (again) changedHere('*');
      },
      closed: (event) => {
        if (isClose(event) && event.code === SESSION_ENDED) {
          if (token !== null && getToken() === token) setToken(null, 'expired');
          setState('idle');
        } else if (active > 0 && !(isClose(event) && event.code === NORMAL_CLOSURE)) {
          // Lost while screens listen: graphql-ws is about to connect again.
          setState('reconnecting');
        } else {
          // Closed because no screen listens any more (lazy close), or a clean close.
          setState('idle');
        }
      },
    },
  });
}

onSessionChange(() => {
  client?.dispose();
  client = null;
  setState('idle');
});

export interface Sink<R> {
  next: (data: R) => void;
  error?: (err: ApiError) => void;
  complete?: () => void;
}

/** Subscribes; returns the function that ends the subscription. */
export function subscribe<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  sink: Sink<R>,
): () => void {
  client ??= build();
  const token = getToken();
  active += 1;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    active -= 1;
  };
  const unsubscribe = client.subscribe<R>(
    { query: document.toString(), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors && result.errors.length > 0) {
          const err = errorFromJson(result.errors as never, null);
          noticeExpiry(err, token);
          sink.error?.(err);
        } else if (result.data) {
          sink.next(result.data);
        }
      },
      error: (err) => {
        end();
        if (Array.isArray(err)) sink.error?.(errorFromJson(err, null));
        else sink.error?.(new ApiError(NETWORK, String(isClose(err) ? err.reason : err)));
      },
      complete: () => {
        end();
        sink.complete?.();
      },
    },
  );
  return () => {
    end();
    unsubscribe();
  };
}
