// What the real-client scripts (apollo-client.mjs, urql.mjs) share: a `fetch` that records what
// went over the wire, one printed line per check, waiting for a stream of events with a
// deadline, the fixture images, and the run's outcome (`NAME: OK`, or `NAME: FAILED …` and
// exit 1). Nothing here talks GraphQL itself: the clients under test do.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** A fixture from tests/fixtures/images as a `File`, what a browser's file input gives. */
export async function fixtureFile(name, type) {
  const path = fileURLToPath(new URL(`../fixtures/images/${name}`, import.meta.url));
  const bytes = await readFile(path);
  return { file: new File([bytes], name, { type }), bytes };
}

/** A form entry as it was sent: text as text, a file as its name, size and claimed type. */
function formEntry([name, value]) {
  if (typeof value === 'string') return { name, text: value };
  return { name, file: { name: value.name, size: value.size, type: value.type } };
}

/**
 * A `fetch` for the clients that records each request (method, URL, content type, body: the
 * parsed JSON, or the form's entries for multipart) and its answer (status, content type,
 * parsed JSON body).
 */
export function recordingFetch() {
  const requests = [];
  const fetchAndRecord = async (input, init = {}) => {
    const headers = new Headers(init.headers);
    const entry = {
      method: (init.method || 'GET').toUpperCase(),
      url: new URL(String(input)),
      contentType: headers.get('content-type'),
      headers,
    };
    if (typeof init.body === 'string') entry.json = JSON.parse(init.body);
    if (init.body instanceof FormData) entry.form = [...init.body.entries()].map(formEntry);
    requests.push(entry);
    const response = await fetch(input, init);
    const text = await response.clone().text();
    entry.status = response.status;
    entry.answerType = response.headers.get('content-type');
    try {
      entry.answer = JSON.parse(text);
    } catch {
      entry.answer = text;
    }
    return response;
  };
  return { fetch: fetchAndRecord, requests };
}

/** One request as a short line, for failure messages. */
export function describe(request) {
  const what = request.form
    ? `multipart ${JSON.stringify(request.form)}`
    : request.json
      ? JSON.stringify(request.json)
      : '';
  const answer = JSON.stringify(request.answer) ?? '';
  const short = (text) => (text.length > 400 ? `${text.slice(0, 400)}…` : text);
  return `${request.method} ${request.url.pathname}${short(request.url.search)} ${short(what)} -> ${request.status} ${short(answer)}`;
}

/** Fails the run with `message` unless `condition` holds; prints `ok NAME` when it does. */
export function check(name, condition, message) {
  if (!condition) {
    throw new Error(`${name}: ${typeof message === 'function' ? message() : message}`);
  }
  console.log(`ok ${name}`);
}

/** Equality of two JSON values, for checks. */
export function same(actual, expected) {
  return JSON.stringify(actual) === JSON.stringify(expected);
}

/**
 * Collects the events a subscription delivers: `start(sink)` begins it with a sink
 * `{ next, error, complete }` and returns a function that ends it. Resolves with
 * `{ events, completed }` when the stream completes (`completed: true`) or `done(events)` says
 * the events so far suffice (then the subscription is ended); rejects on an error or when
 * `timeoutMs` passes first.
 */
export function collectEvents(what, start, { done = () => false, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const events = [];
    let finished = false;
    let stop = null;
    const finish = (error, completed) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (!completed && stop) stop();
      if (error) reject(error);
      else resolve({ events, completed });
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(`${what}: nothing finished within ${timeoutMs} ms; events so far: ${JSON.stringify(events)}`),
        ),
      timeoutMs,
    );
    stop = start({
      next: (event) => {
        events.push(event);
        if (done(events)) finish(null, false);
      },
      error: (error) =>
        finish(new Error(`${what}: ${error instanceof Error ? error.message : JSON.stringify(error)}`)),
      complete: () => finish(null, true),
    });
    if (finished && stop) stop();
  });
}

/** Statuses of a video prompt in the order they may follow each other. */
const ORDER = ['PENDING', 'PROCESSING', 'COMPLETED'];

/** Whether a record's statuses, as events delivered them, never went backwards. */
export function statusesInOrder(statuses) {
  return statuses.every((status, i) => i === 0 || ORDER.indexOf(status) >= ORDER.indexOf(statuses[i - 1]));
}

/**
 * Runs `main(baseUrl, args, wires)` for the script `name`: usage and exit 2 without a URL,
 * `NAME: OK` and exit 0 when it returns, `NAME: FAILED: …` and exit 1 when it throws or
 * `overallMs` runs out. `main` pushes its recording fetches onto `wires`; a failure shows
 * their last requests.
 */
export function run(name, usage, main, overallMs = Number(process.env.REAL_CLIENT_TIMEOUT_MS || 120_000)) {
  const [url, ...args] = process.argv.slice(2);
  if (!url) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  const base = url.replace(/\/+$/, '');
  const wires = [];
  const lastRequests = () =>
    wires
      .flatMap((wire) => wire.requests.slice(-3))
      .map((request) => `\n  ${describe(request)}`)
      .join('');
  const timer = setTimeout(() => {
    console.error(`${name}: FAILED: the run took longer than ${overallMs} ms; last requests:${lastRequests()}`);
    process.exit(1);
  }, overallMs);
  main(base, args, wires).then(
    () => {
      clearTimeout(timer);
      console.log(`${name}: OK`);
      process.exit(0);
    },
    (error) => {
      const what = error instanceof Error ? error.stack || error.message : JSON.stringify(error);
      console.error(`${name}: FAILED: ${what}\nlast requests:${lastRequests()}`);
      process.exit(1);
    },
  );
}
