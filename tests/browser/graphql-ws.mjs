#!/usr/bin/env node
// The npm `graphql-ws` client (the one single-page apps use) against the real server.
//
//   node tests/browser/graphql-ws.mjs ws://127.0.0.1:PORT/graphql TOKEN VIDEO_PROMPT_ID
//
// Signs in through `connectionParams` (the `connection_init` payload), subscribes to
// `videoPromptUpdated(id)`, prints each event as one line `event {json}`, and `complete` when
// the server completes the subscription (after a finished state). Exit 0 on complete, 1 on an
// error or when nothing completes within GRAPHQL_WS_TIMEOUT_MS (default 60 s), 2 on usage.

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, id] = process.argv.slice(2);
if (!url || !token || !id) {
  console.error('usage: node tests/browser/graphql-ws.mjs ws://HOST:PORT/graphql TOKEN ID');
  process.exit(2);
}
const TIMEOUT_MS = Number(process.env.GRAPHQL_WS_TIMEOUT_MS || 60_000);

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  lazy: true,
  retryAttempts: 0,
});

const timer = setTimeout(() => {
  console.error('graphql-ws: no complete in time');
  process.exit(1);
}, TIMEOUT_MS);

client.subscribe(
  {
    query: `subscription($id: ID) {
      videoPromptUpdated(id: $id) { id status prompt details { scene } }
    }`,
    variables: { id },
  },
  {
    next: (result) => console.log(`event ${JSON.stringify(result)}`),
    error: (err) => {
      console.error('graphql-ws: error', err instanceof Error ? err.message : JSON.stringify(err));
      process.exit(1);
    },
    complete: async () => {
      console.log('complete');
      clearTimeout(timer);
      await client.dispose();
      process.exit(0);
    },
  },
);
