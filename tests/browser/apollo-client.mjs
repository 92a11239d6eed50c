#!/usr/bin/env node
// Apollo Client 4, set up as a front-end team would (no React): apollo-upload-client's
// UploadHttpLink as the HTTP link, Apollo's PersistedQueryLink (automatic persisted queries,
// SHA-256 from node:crypto) in front of it, and GraphQLWsLink (graphql-ws over `ws`) for
// subscriptions, split by operation type. Run against the real server:
//
//   node tests/browser/apollo-client.mjs http://127.0.0.1:PORT [GEMINI_KEY]
//
// It registers, stores GEMINI_KEY (default `stand-in-key`; the server must talk to the Gemini
// stand-in or to Gemini), creates a collection, uploads tests/fixtures/images/landscape.jpg
// through the upload link, reads the image back, starts generateVideoPrompt and follows it
// with `videoPromptUpdated(id)` until the server completes the subscription, and checks the
// wire: the upload as a GraphQL multipart request, and APQ (a new query goes as a hash alone,
// is answered PersistedQueryNotFound, goes again with its text; repeated, as the hash alone;
// with useGETForHashedQueries as a GET whose URL carries the hash and no query).
// One `ok …` line per check, then `apollo-client: OK`; on a failed check
// `apollo-client: FAILED: …` and exit 1 (2 on usage).

import { createHash, randomUUID } from 'node:crypto';

import { ApolloClient, ApolloLink, InMemoryCache, gql } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import UploadHttpLink from 'apollo-upload-client/UploadHttpLink.mjs';
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

// Node 20 has no global WebSocket; GraphQLWsLink's error path looks at `WebSocket.CLOSED`.
globalThis.WebSocket ??= WebSocket;

const REGISTER = gql`
  mutation Register($input: CredentialsInput!) {
    register(input: $input) { token user { id email hasGeminiApiKey } }
  }
`;
const SET_KEY = gql`
  mutation SetKey($apiKey: String!) {
    setGeminiApiKey(apiKey: $apiKey) { id hasGeminiApiKey geminiApiKeyHint }
  }
`;
const CREATE_COLLECTION = gql`
  mutation CreateCollection($name: String!) { createCollection(name: $name) { id name } }
`;
const UPLOAD = gql`
  mutation Upload($collectionId: ID!, $file: Upload!) {
    uploadImage(collectionId: $collectionId, file: $file) {
      id fileName mimeType byteSize width height collection { id }
    }
  }
`;
const IMAGE = gql`
  query Image($id: ID!) {
    image(id: $id) { id fileName mimeType byteSize width height url collection { id name } }
  }
`;
const GENERATE = gql`
  mutation Generate($input: GenerateVideoPromptInput!) {
    generateVideoPrompt(input: $input) { id status cameraStyle filmEffect image { id } }
  }
`;
const FOLLOW = gql`
  subscription Follow($id: ID) {
    videoPromptUpdated(id: $id) { id status prompt details { scene camera } }
  }
`;
const PROMPT = gql`
  query Prompt($id: ID!) {
    videoPrompt(id: $id) { id status prompt cameraStyle filmEffect details { scene camera } }
  }
`;
const CAMERA_STYLES = gql`
  query CameraStyles { cameraStyles { value label } }
`;
const ME = gql`
  query Me { me { id email hasGeminiApiKey } }
`;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** The Apollo Client a web app would build, with `useGETForHashedQueries` as given. */
function apolloClient(base, session, wire, { useGETForHashedQueries = false } = {}) {
  const auth = new SetContextLink((context) =>
    session.token
      ? { headers: { ...context.headers, authorization: `Bearer ${session.token}` } }
      : {},
  );
  const http = ApolloLink.from([
    new PersistedQueryLink({ sha256, useGETForHashedQueries }),
    new UploadHttpLink({ uri: `${base}/graphql`, fetch: wire.fetch }),
  ]);
  const ws = new GraphQLWsLink(
    createClient({
      url: `${base.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: () => ({ Authorization: `Bearer ${session.token}` }),
      lazy: true,
      retryAttempts: 0,
    }),
  );
  const link = ApolloLink.from([
    auth,
    ApolloLink.split((operation) => operation.operationType === 'subscription', ws, http),
  ]);
  return { client: new ApolloClient({ link, cache: new InMemoryCache() }), ws };
}

/** The requests recorded since `from` whose JSON body or form names `operationName`. */
function requestsFor(wire, from, operationName) {
  return wire.requests.slice(from).filter((request) => {
    if (request.json) return request.json.operationName === operationName;
    if (request.form) {
      const operations = request.form.find((entry) => entry.name === 'operations');
      return operations && JSON.parse(operations.text).operationName === operationName;
    }
    return request.url.searchParams.get('operationName') === operationName;
  });
}

/** Whether an answer is the PersistedQueryNotFound error Apollo's link retries on. */
function persistedQueryNotFound(answer) {
  return (
    Array.isArray(answer?.errors) &&
    answer.errors.some(
      (error) =>
        error.message === 'PersistedQueryNotFound' ||
        error.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND',
    )
  );
}

/** The persisted-query extension a JSON body or GET URL carried, if any. */
function persistedQueryOf(request) {
  if (request.json) return request.json.extensions?.persistedQuery;
  const extensions = request.url.searchParams.get('extensions');
  return extensions ? JSON.parse(extensions).persistedQuery : undefined;
}

/** The query text a request carried, if any (JSON body, form `operations` or GET URL). */
function queryTextOf(request) {
  if (request.json) return request.json.query;
  if (request.form) {
    const operations = request.form.find((entry) => entry.name === 'operations');
    return operations ? JSON.parse(operations.text).query : undefined;
  }
  return request.url.searchParams.get('query') ?? undefined;
}

/** Checks one APQ round: a miss answered PersistedQueryNotFound, then the hash and the text. */
function checkMissThenRegister(name, requests, firstMethod) {
  const wire = () => requests.map(describe).join('\n  ');
  check(`${name}: two requests, the hash alone then hash and query`, requests.length === 2, wire);
  const [miss, register] = requests;
  const hash = persistedQueryOf(miss)?.sha256Hash;
  check(
    `${name}: first as ${firstMethod} with the SHA-256 hash and no query`,
    miss.method === firstMethod && /^[0-9a-f]{64}$/.test(hash ?? '') && queryTextOf(miss) === undefined,
    wire,
  );
  check(`${name}: first answered PersistedQueryNotFound`, persistedQueryNotFound(miss.answer), wire);
  check(
    `${name}: then POST with the query whose SHA-256 is that hash`,
    register.method === 'POST' &&
      persistedQueryOf(register)?.sha256Hash === hash &&
      typeof queryTextOf(register) === 'string' &&
      sha256(queryTextOf(register)) === hash &&
      register.status === 200 &&
      register.answer?.data != null,
    wire,
  );
  return hash;
}

async function main(base, [geminiKey = 'stand-in-key'], wires) {
  const wire = recordingFetch();
  wires.push(wire);
  const session = { token: null };
  const { client, ws } = apolloClient(base, session, wire);

  // A mutation: register.
  const email = `apollo-${randomUUID()}@example.org`;
  const registered = await client.mutate({
    mutation: REGISTER,
    variables: { input: { email, password: 'correct horse battery staple' } },
  });
  const auth = registered.data.register;
  check('register returns a token and the user', auth.token.startsWith('vp_') && auth.user.email === email, () =>
    JSON.stringify(registered.data),
  );
  session.token = auth.token;

  const keySet = await client.mutate({ mutation: SET_KEY, variables: { apiKey: geminiKey } });
  check(
    'setGeminiApiKey stores the key and shows its hint',
    keySet.data.setGeminiApiKey.hasGeminiApiKey === true &&
      keySet.data.setGeminiApiKey.geminiApiKeyHint === (geminiKey.length >= 8 ? geminiKey.slice(-4) : null),
    () => JSON.stringify(keySet.data),
  );

  const created = await client.mutate({ mutation: CREATE_COLLECTION, variables: { name: 'Urlaub an der Ostsee' } });
  const collectionId = created.data.createCollection.id;
  check('createCollection', created.data.createCollection.name === 'Urlaub an der Ostsee', () =>
    JSON.stringify(created.data),
  );

  // An upload: a File in the variables makes UploadHttpLink send a multipart request.
  const { file, bytes } = await fixtureFile('landscape.jpg', 'image/jpeg');
  const before = wire.requests.length;
  const uploaded = await client.mutate({ mutation: UPLOAD, variables: { collectionId, file } });
  const image = uploaded.data.uploadImage;
  check(
    'uploadImage answers with the file read from its bytes (640 × 428 JPEG)',
    image.fileName === 'landscape.jpg' &&
      image.mimeType === 'image/jpeg' &&
      image.byteSize === bytes.length &&
      image.width === 640 &&
      image.height === 428 &&
      image.collection.id === collectionId,
    () => JSON.stringify(image),
  );
  const uploads = requestsFor(wire, before, 'Upload');
  const sent = uploads.at(-1);
  const entries = Object.fromEntries((sent?.form ?? []).map((entry) => [entry.name, entry]));
  check(
    'the upload went as a GraphQL multipart request (operations, map, the file)',
    sent &&
      sent.method === 'POST' &&
      sent.status === 200 &&
      JSON.parse(entries.operations.text).variables.file === null &&
      same(JSON.parse(entries.map.text), { 1: ['variables.file'] }) &&
      same(entries['1'].file, { name: 'landscape.jpg', size: bytes.length, type: 'image/jpeg' }),
    () => uploads.map(describe).join('\n  '),
  );
  console.log(
    `info the upload took ${uploads.length} request(s): ${uploads
      .map((request) => `${queryTextOf(request) ? 'with' : 'without'} query -> ${request.status}`)
      .join(', ')}`,
  );

  // A query: the image read back, and its signed URL loads the same bytes.
  const read = await client.query({ query: IMAGE, variables: { id: image.id }, fetchPolicy: 'network-only' });
  const again = read.data.image;
  check(
    'image(id) reads it back',
    again.id === image.id &&
      again.width === 640 &&
      again.height === 428 &&
      again.mimeType === 'image/jpeg' &&
      again.collection.name === 'Urlaub an der Ostsee',
    () => JSON.stringify(read.data),
  );
  const picture = await fetch(new URL(again.url, `${base}/`));
  const pictureBytes = Buffer.from(await picture.arrayBuffer());
  check(
    'its url loads the uploaded bytes',
    picture.status === 200 && pictureBytes.equals(bytes),
    `${picture.status} ${picture.headers.get('content-type')}, ${pictureBytes.length} bytes`,
  );

  // A subscription over GraphQLWsLink: the generation followed until the server completes it.
  const started = await client.mutate({
    mutation: GENERATE,
    variables: { input: { imageId: image.id, cameraStyle: 'DRONE', filmEffect: 'GOLDEN_HOUR' } },
  });
  const record = started.data.generateVideoPrompt;
  check('generateVideoPrompt answers a PENDING record', record.status === 'PENDING' && record.image.id === image.id, () =>
    JSON.stringify(record),
  );
  const { events, completed } = await collectEvents('videoPromptUpdated(id)', (sink) => {
    const subscription = client.subscribe({ query: FOLLOW, variables: { id: record.id } }).subscribe({
      next: (result) => (result.error ? sink.error(result.error) : sink.next(result.data.videoPromptUpdated)),
      error: sink.error,
      complete: sink.complete,
    });
    return () => subscription.unsubscribe();
  });
  const statuses = events.map((event) => event.status);
  console.log(`info statuses delivered: ${statuses.join(' → ')}`);
  const last = events.at(-1);
  check('the subscription completes after the finished state', completed, () => JSON.stringify(events));
  check(
    'every event is the record, its statuses in order, the last COMPLETED with the prompt',
    events.every((event) => event.id === record.id) &&
      statusesInOrder(statuses) &&
      last?.status === 'COMPLETED' &&
      typeof last.prompt === 'string' &&
      last.prompt.length > 0 &&
      typeof last.details?.scene === 'string' &&
      last.details.scene.length > 0,
    () => JSON.stringify(events),
  );
  const cached = client.cache.readFragment({
    id: client.cache.identify({ __typename: 'VideoPrompt', id: record.id }),
    fragment: gql`fragment Cached on VideoPrompt { status prompt }`,
  });
  check(
    "the events updated Apollo's normalized cache",
    cached?.status === 'COMPLETED' && cached.prompt === last.prompt,
    () => JSON.stringify(cached),
  );
  const stored = await client.query({ query: PROMPT, variables: { id: record.id }, fetchPolicy: 'network-only' });
  check(
    'videoPrompt(id) holds what the subscription delivered',
    stored.data.videoPrompt.status === 'COMPLETED' &&
      stored.data.videoPrompt.prompt === last.prompt &&
      stored.data.videoPrompt.cameraStyle === 'DRONE' &&
      stored.data.videoPrompt.filmEffect === 'GOLDEN_HOUR',
    () => JSON.stringify(stored.data),
  );

  // Automatic persisted queries over POST: a query the server has not seen, then again.
  let from = wire.requests.length;
  const styles = await client.query({ query: CAMERA_STYLES, fetchPolicy: 'network-only' });
  const drone = styles.data.cameraStyles.find((style) => style.value === 'DRONE');
  check('cameraStyles answers the German labels', drone?.label === 'Drohnenflug', () => JSON.stringify(styles.data));
  const hash = checkMissThenRegister('APQ (POST) first time', requestsFor(wire, from, 'CameraStyles'), 'POST');
  from = wire.requests.length;
  const repeated = await client.query({ query: CAMERA_STYLES, fetchPolicy: 'network-only' });
  const hit = requestsFor(wire, from, 'CameraStyles');
  check(
    'APQ (POST) repeated: one request, the hash alone, answered with data',
    hit.length === 1 &&
      hit[0].method === 'POST' &&
      persistedQueryOf(hit[0])?.sha256Hash === hash &&
      queryTextOf(hit[0]) === undefined &&
      hit[0].status === 200 &&
      same(
        hit[0].answer.data?.cameraStyles?.map(({ value, label }) => [value, label]),
        styles.data.cameraStyles.map(({ value, label }) => [value, label]),
      ) &&
      same(repeated.data, styles.data),
    () => hit.map(describe).join('\n  '),
  );

  // With useGETForHashedQueries: hashed queries go as GET, the hash in the URL.
  const getWire = recordingFetch();
  wires.push(getWire);
  const { client: getClient, ws: getWs } = apolloClient(base, session, getWire, { useGETForHashedQueries: true });
  const me = await getClient.query({ query: ME, fetchPolicy: 'network-only' });
  check('me over the GET client', me.data.me.email === email && me.data.me.hasGeminiApiKey === true, () =>
    JSON.stringify(me.data),
  );
  const meHash = checkMissThenRegister('APQ (GET) first time', requestsFor(getWire, 0, 'Me'), 'GET');
  from = getWire.requests.length;
  const meAgain = await getClient.query({ query: ME, fetchPolicy: 'network-only' });
  const getHit = requestsFor(getWire, from, 'Me');
  check(
    'APQ (GET) repeated: one GET, the hash in the URL and no query, answered with data',
    getHit.length === 1 &&
      getHit[0].method === 'GET' &&
      persistedQueryOf(getHit[0])?.sha256Hash === meHash &&
      !getHit[0].url.searchParams.has('query') &&
      getHit[0].status === 200 &&
      getHit[0].answer.data?.me?.email === email &&
      same(meAgain.data, me.data),
    () => getHit.map(describe).join('\n  '),
  );
  const crossed = await getClient.query({ query: CAMERA_STYLES, fetchPolicy: 'network-only' });
  const crossedRequests = requestsFor(getWire, from, 'CameraStyles');
  check(
    'a hash registered over POST is found over GET',
    crossedRequests.length === 1 &&
      crossedRequests[0].method === 'GET' &&
      persistedQueryOf(crossedRequests[0])?.sha256Hash === hash &&
      same(crossed.data, styles.data),
    () => crossedRequests.map(describe).join('\n  '),
  );

  await Promise.all([ws.client.dispose(), getWs.client.dispose()]);
}

run('apollo-client', 'node tests/browser/apollo-client.mjs http://HOST:PORT [GEMINI_KEY]', main);
