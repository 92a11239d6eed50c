#!/usr/bin/env node
// GraphiQL's subscriptions in headless Chromium, against the real server:
//
//   node tests/browser/graphiql-subscription.mjs http://127.0.0.1:PORT TOKEN IMAGE_ID
//
// Opens `/` with `{"Authorization": "Bearer TOKEN"}` in GraphiQL's Headers tab, runs
// `subscription { videoPromptUpdated(imageId: …) }` from the editor (GraphiQL opens the
// WebSocket itself, graphql-transport-ws), then asks for a generation of that image over HTTP and
// waits until the result pane shows the record COMPLETED. Fails on any console or page error.
// Prints `graphiql-subscription: OK …`; exit 0 on success, 1 on failure, 2 on usage.

import { chromium } from 'playwright-core';

const [base, token, imageId] = process.argv.slice(2);
if (!base || !token || !imageId) {
  console.error('usage: node tests/browser/graphiql-subscription.mjs http://HOST:PORT TOKEN IMAGE_ID');
  process.exit(2);
}
const origin = new URL(base).origin;
const TIMEOUT_MS = Number(process.env.GRAPHIQL_TEST_TIMEOUT_MS || 60_000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const deadline = Date.now() + TIMEOUT_MS;
setTimeout(() => {
  console.error('graphiql-subscription: FAIL — hard timeout');
  process.exit(1);
}, TIMEOUT_MS + 15_000).unref();

const SUBSCRIPTION = `subscription { videoPromptUpdated(imageId: "${imageId}") { id status prompt } }`;
const HEADERS = JSON.stringify({ Authorization: `Bearer ${token}` });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const problems = [];
const frames = [];
let code = 1;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // GraphiQL keeps the Headers tab in localStorage (shouldPersistHeaders): start with the token.
  await context.addInitScript((headers) => {
    if (!localStorage.getItem('graphiql:headers')) localStorage.setItem('graphiql:headers', headers);
  }, HEADERS);
  const page = await context.newPage();
  page.on('console', (msg) => msg.type() === 'error' && problems.push(`console error: ${msg.text()}`));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  let subscribed = false;
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => {
      const text = String(f.payload);
      if (text.includes('"subscribe"')) subscribed = true;
      if (text.includes('connection_init')) frames.push(text.includes('Bearer') ? 'init with token' : 'init without token');
    });
    ws.on('framereceived', (f) => frames.push(String(f.payload).slice(0, 80)));
  });

  await page.goto(`${origin}/graphiql`, { waitUntil: 'load' });
  await page.locator('.graphiql-query-editor .CodeMirror').first().waitFor({ state: 'visible' });
  await page.evaluate((q) => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q), SUBSCRIPTION);
  await sleep(500); // GraphiQL re-parses the editor after a debounce
  await page.locator('button.graphiql-execute-button').first().click();

  while (!subscribed) {
    if (Date.now() > deadline) throw new Error(`GraphiQL never sent the subscription; frames: ${frames.join(' | ')}`);
    await sleep(50);
  }

  // The generation, asked for from outside the browser.
  const res = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: `mutation($input: GenerateVideoPromptInput!) { generateVideoPrompt(input: $input) { id } }`,
      variables: { input: { imageId, cameraStyle: 'ORBIT', filmEffect: 'NONE' } },
    }),
  });
  const generated = await res.json();
  const id = generated?.data?.generateVideoPrompt?.id;
  if (!id) throw new Error(`generateVideoPrompt answered ${JSON.stringify(generated)}`);

  const seen = new Set();
  let result = '';
  for (;;) {
    result = await page.evaluate(() => {
      const el = document.querySelector('.graphiql-response .CodeMirror');
      return el && el.CodeMirror ? el.CodeMirror.getValue() : '';
    });
    const status = /"status": "([A-Z]+)"/.exec(result);
    if (status && result.includes(id)) seen.add(status[1]);
    if (seen.has('COMPLETED')) break;
    if (Date.now() > deadline) throw new Error(`the result pane never showed COMPLETED; it shows ${JSON.stringify(result.slice(0, 400))}; frames: ${frames.join(' | ')}`);
    await sleep(50);
  }
  if (problems.length) throw new Error(problems.join('\n  '));
  console.log(`graphiql-subscription: OK — GraphiQL's WebSocket (${frames[0] ?? '?'}) showed record ${id} as ${[...seen].join(' → ')}`);
  code = 0;
} catch (err) {
  console.error(`graphiql-subscription: FAIL — ${err && err.message ? err.message : err}`);
} finally {
  await browser.close().catch(() => {});
}
process.exit(code);
