#!/usr/bin/env node
// urql (@urql/core 6, no framework binding) against the real server: `fetchExchange` for queries
// and mutations (its defaults: queries as GET while the URL is short, mutations as POST, files
// as a GraphQL multipart request) and `subscriptionExchange` forwarding to a graphql-ws client
// (over `ws`) for subscriptions.
//
//   node tests/browser/urql.mjs http://127.0.0.1:PORT [GEMINI_KEY]
//
// It registers, signs in again with `login`, stores GEMINI_KEY (default `stand-in-key`),
// creates a collection, uploads tests/fixtures/images/landscape.webp, reads the library back
// with a query, starts generateVideoPrompt and follows it with `videoPromptUpdated(id)` until
// graphql-ws reports that the server completed the subscription. One `ok …` line per check,
// then `urql: OK`; on a failed check `urql: FAILED: …` and exit 1 (2 on usage).

import { randomUUID } from 'node:crypto';

import { Client, fetchExchange, gql, subscriptionExchange } from '@urql/core';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import {
  check,
  collectEvents,
  describe,
  fixtureFile,
  recordingFetch,
  run,
  same,
  statusesInOrder,
} from './client-kit.mjs';

const PASSWORD = 'correct horse battery staple';

const REGISTER = gql`
  mutation Register($input: CredentialsInput!) { register(input: $input) { token user { id email } } }
`;
const LOGIN = gql`
  mutation Login($input: CredentialsInput!) { login(input: $input) { token user { id email } } }
`;
const SET_KEY = gql`
  mutation SetKey($apiKey: String!) { setGeminiApiKey(apiKey: $apiKey) { id hasGeminiApiKey } }
`;
const CREATE_COLLECTION = gql`
  mutation CreateCollection($name: String!) { createCollection(name: $name) { id name } }
`;
const UPLOAD = gql`
  mutation Upload($collectionId: ID!, $file: Upload!) {
    uploadImage(collectionId: $collectionId, file: $file) { id fileName mimeType width height }
  }
`;
const LIBRARY = gql`
  query Library($first: Int!) {
    me {
      email
      hasGeminiApiKey
      collections(first: $first) {
        nodes { id name images(first: $first) { nodes { id fileName mimeType width height } } }
      }
    }
  }
`;
const GENERATE = gql`
  mutation Generate($input: GenerateVideoPromptInput!) {
    generateVideoPrompt(input: $input) { id status }
  }
`;
const FOLLOW = gql`
  subscription Follow($id: ID) {
    videoPromptUpdated(id: $id) { id status prompt details { scene mood } }
  }
`;

/** The urql client an app would build; `hooks.complete` hears graphql-ws's `complete`. */
function urqlClient(base, session, wire, hooks) {
  const ws = createClient({
    url: `${base.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: () => ({ Authorization: `Bearer ${session.token}` }),
    lazy: true,
    retryAttempts: 0,
  });
  const client = new Client({
    url: `${base}/graphql`,
    fetch: wire.fetch,
    fetchOptions: () => (session.token ? { headers: { authorization: `Bearer ${session.token}` } } : {}),
    requestPolicy: 'network-only',
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, {
                next: (value) => sink.next(value),
                error: (error) => sink.error(error),
                complete: () => {
                  sink.complete();
                  hooks.complete?.();
                },
              });
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, ws };
}

/** The answer's data, or a failure naming the operation and urql's error. */
function dataOf(name, result) {
  if (result.error || !result.data) {
    throw new Error(`${name}: ${result.error ? result.error.message : 'no data'}`);
  }
  return result.data;
}

async function main(base, [geminiKey = 'stand-in-key'], wires) {
  const wire = recordingFetch();
  wires.push(wire);
  const session = { token: null };
  const hooks = {};
  const { client, ws } = urqlClient(base, session, wire, hooks);

  // Mutations: register, then sign in again.
  const email = `urql-${randomUUID()}@example.org`;
  const input = { email, password: PASSWORD };
  const registered = dataOf('register', await client.mutation(REGISTER, { input }).toPromise()).register;
  check('register returns a token and the user', registered.token.startsWith('vp_') && registered.user.email === email, () =>
    JSON.stringify(registered),
  );
  const signedIn = dataOf('login', await client.mutation(LOGIN, { input }).toPromise()).login;
  check(
    'login returns a new token for the same user',
    signedIn.token.startsWith('vp_') && signedIn.token !== registered.token && signedIn.user.id === registered.user.id,
    () => JSON.stringify(signedIn),
  );
  session.token = signedIn.token;
  const login = wire.requests.at(-1);
  check(
    'mutations go as POST with JSON',
    login.method === 'POST' && login.contentType === 'application/json' && login.json.operationName === 'Login',
    () => describe(login),
  );

  const keySet = dataOf('setGeminiApiKey', await client.mutation(SET_KEY, { apiKey: geminiKey }).toPromise());
  check('setGeminiApiKey', keySet.setGeminiApiKey.hasGeminiApiKey === true, () => JSON.stringify(keySet));
  const collection = dataOf(
    'createCollection',
    await client.mutation(CREATE_COLLECTION, { name: 'Stadtansichten' }).toPromise(),
  ).createCollection;

  // An upload: urql's fetchExchange sends a File in the variables as a multipart request.
  const { file, bytes } = await fixtureFile('landscape.webp', 'image/webp');
  const uploaded = dataOf(
    'uploadImage',
    await client.mutation(UPLOAD, { collectionId: collection.id, file }).toPromise(),
  ).uploadImage;
  check(
    'uploadImage reads the WebP as 640 × 428',
    uploaded.fileName === 'landscape.webp' && uploaded.mimeType === 'image/webp' && uploaded.width === 640 && uploaded.height === 428,
    () => JSON.stringify(uploaded),
  );
  const upload = wire.requests.at(-1);
  const entries = Object.fromEntries((upload.form ?? []).map((entry) => [entry.name, entry]));
  check(
    'the upload went as a GraphQL multipart request',
    upload.method === 'POST' &&
      upload.status === 200 &&
      JSON.parse(entries.operations?.text ?? '{}').variables?.file === null &&
      same(JSON.parse(entries.map?.text ?? '{}'), { 0: ['variables.file'] }) &&
      entries['0']?.file?.size === bytes.length,
    () => describe(upload),
  );

  // A query with variables: the library, as a GET (urql's default for short queries).
  const library = dataOf('me', await client.query(LIBRARY, { first: 5 }).toPromise()).me;
  check(
    'me lists the collection with the uploaded image',
    library.email === email &&
      library.hasGeminiApiKey === true &&
      same(
        library.collections.nodes.map((node) => ({ ...node, images: node.images.nodes })),
        [
          {
            id: collection.id,
            name: 'Stadtansichten',
            images: [{ id: uploaded.id, fileName: 'landscape.webp', mimeType: 'image/webp', width: 640, height: 428 }],
          },
        ],
      ),
    () => JSON.stringify(library),
  );
  const query = wire.requests.at(-1);
  check(
    'the query went as GET with query, variables and operationName in the URL',
    query.method === 'GET' &&
      query.url.searchParams.get('operationName') === 'Library' &&
      same(JSON.parse(query.url.searchParams.get('variables')), { first: 5 }) &&
      query.url.searchParams.get('query')?.includes('collections(first: $first)') &&
      query.status === 200 &&
      query.answerType?.startsWith('application/graphql-response+json'),
    () => describe(query),
  );

  // A subscription through subscriptionExchange and graphql-ws.
  const started = dataOf(
    'generateVideoPrompt',
    await client
      .mutation(GENERATE, { input: { imageId: uploaded.id, cameraStyle: 'ORBIT', filmEffect: 'NOIR' } })
      .toPromise(),
  ).generateVideoPrompt;
  check('generateVideoPrompt answers a PENDING record', started.status === 'PENDING', () => JSON.stringify(started));
  const { events, completed } = await collectEvents('videoPromptUpdated(id)', (sink) => {
    hooks.complete = sink.complete;
    const subscription = client
      .subscription(FOLLOW, { id: started.id })
      .subscribe((result) => (result.error ? sink.error(result.error) : sink.next(result)));
    return () => subscription.unsubscribe();
  });
  const records = events.map((result) => result.data.videoPromptUpdated);
  const statuses = records.map((record) => record.status);
  console.log(`info results delivered: ${events.map((result) => `${result.data.videoPromptUpdated.status} (hasNext ${result.hasNext})`).join(' → ')}`);
  const last = records.at(-1);
  check('graphql-ws reports the server completed the subscription', completed, () => JSON.stringify(events));
  check(
    "urql's last result says the stream ended (hasNext false; it repeats the last data)",
    events.at(-1).hasNext === false && events.slice(0, -1).every((result) => result.hasNext === true),
    () => JSON.stringify(events),
  );
  check(
    'every event is the record, its statuses in order, the last COMPLETED with the prompt',
    records.every((record) => record.id === started.id) &&
      statusesInOrder(statuses) &&
      last?.status === 'COMPLETED' &&
      last.prompt?.length > 0 &&
      last.details?.mood?.length > 0,
    () => JSON.stringify(events),
  );

  await ws.dispose();
}

run('urql', 'node tests/browser/urql.mjs http://HOST:PORT [GEMINI_KEY]', main);
