#!/usr/bin/env node
// A benchmark of the web app over loopback in headless Chromium (not a test: it prints figures).
//
//   cargo build --release
//   node tests/browser/app-bench.mjs --binary target/release/videoprompt [--runs 7]
//
// Starts `videoprompt serve --demo` (the stand-in answers at once) with a fresh data folder,
// makes a person with a key, a collection and one image through the API, then measures, each
// over --runs fresh browser contexts (empty cache), the median and the spread:
//
//   - first load: bytes transferred (as on the wire, compressed, headers included) to open the
//     collection screen signed in: the app itself (page, script, style, icon) and everything
//     (plus the API's answers and the thumbnails);
//   - time until the collection screen is interactive: from navigation start to the moment the
//     list of collections is on screen and the page's script has handled it (a click would work);
//   - time from pressing Generieren until the first words of the prompt are on screen.

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const binary = path.resolve(arg('--binary', path.join(REPO, 'target', 'release', 'videoprompt')));
const runs = Number(arg('--runs', '7'));
const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'assets', 'app', 'persisted-documents.json'), 'utf8'));
const doc = (name) => Object.values(manifest).find((t) => new RegExp(`^\\s*(query|mutation) ${name}\\b`).test(t));

async function startServer() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'videoprompt-bench-'));
  const child = spawn(binary, ['serve', '--demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = readline.createInterface({ input: child.stderr });
  const port = await new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const match = line.match(/GraphiQL at http:\/\/127\.0\.0\.1:(\d+)/);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
  return { origin: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL'), dataDir };
}

async function gql(origin, token, query, variables) {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const json = await response.json();
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return json.data;
}

async function setUp(origin) {
  const { register } = await gql(origin, null, doc('Register'), {
    input: { email: `bench-${Date.now()}@beispiel.de`, password: 'correct horse battery staple' },
  });
  const token = register.token;
  await gql(origin, token, doc('SetGeminiApiKey'), { apiKey: 'bench-key-0000' });
  const { createCollection } = await gql(origin, token, doc('CreateCollection'), { name: 'Messung' });
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: doc('UploadImage'), variables: { collectionId: createCollection.id, file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([fs.readFileSync(path.join(REPO, 'tests', 'fixtures', 'images', 'landscape.jpg'))], { type: 'image/jpeg' }), 'landscape.jpg');
  const upload = await fetch(`${origin}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const image = (await upload.json()).data.uploadImage;
  return { token, collectionId: createCollection.id, imageId: image.id };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function summary(values, unit, digits = 0) {
  const sorted = [...values].sort((a, b) => a - b);
  return `${median(values).toFixed(digits)} ${unit} (min ${sorted[0].toFixed(digits)}, max ${sorted[sorted.length - 1].toFixed(digits)}, ${values.length} runs)`;
}

async function newPage(browser, origin, token) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'de-DE' });
  await context.addInitScript(
    ([key, value]) => localStorage.setItem(key, value),
    ['videoprompt.token', token],
  );
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const requests = new Map();
  const bytes = { app: 0, all: 0 };
  cdp.on('Network.requestWillBeSent', (e) => requests.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    const url = new URL(requests.get(e.requestId) ?? origin);
    bytes.all += e.encodedDataLength;
    if (url.pathname === '/' || url.pathname.startsWith('/assets/') || url.pathname.startsWith('/sammlungen')) {
      bytes.app += e.encodedDataLength;
    }
  });
  return { context, page, bytes };
}

async function main() {
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const { token, imageId } = await setUp(server.origin);
    const appBytes = [];
    const allBytes = [];
    const interactive = [];
    const firstWords = [];
    for (let run = 0; run < runs; run++) {
      // First load of the collection screen, empty cache.
      const { context, page, bytes } = await newPage(browser, server.origin, token);
      await page.addInitScript(() => {
        new MutationObserver((_, observer) => {
          if (document.querySelector('.collection-list a') && document.querySelector('#new-collection')) {
            window.__interactive = performance.now();
            observer.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(`${server.origin}/sammlungen`, { waitUntil: 'networkidle' });
      await page.waitForFunction(() => window.__interactive !== undefined);
      await page.waitForFunction(() => [...document.querySelectorAll('img')].every((img) => img.complete));
      interactive.push(await page.evaluate(() => window.__interactive));
      appBytes.push(bytes.app);
      allBytes.push(bytes.all);

      // Generieren → first words, on the image screen (the app already loaded).
      await page.goto(`${server.origin}/bilder/${imageId}`);
      await page.getByRole('button', { name: 'Generieren' }).waitFor();
      await page.waitForFunction(() => !document.querySelector('#camera-style')?.disabled);
      await page.getByLabel(/Hinweise für Gemini/).fill(`Lauf ${run}`);
      await page.evaluate(() => {
        const button = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Generieren');
        button.addEventListener('click', () => (window.__pressed = performance.now()), { capture: true, once: true });
        new MutationObserver((_, observer) => {
          const text = document.querySelector('[data-testid="prompt-text"]');
          if (text && text.textContent.trim().length > 0) {
            window.__words = performance.now();
            observer.disconnect();
          }
        }).observe(document.body, { childList: true, subtree: true, characterData: true });
      });
      await page.getByRole('button', { name: 'Generieren' }).click();
      await page.waitForFunction(() => window.__words !== undefined, null, { timeout: 20_000 });
      firstWords.push(await page.evaluate(() => window.__words - window.__pressed));
      await context.close();
    }
    const kb = (values) => values.map((v) => v / 1024);
    console.log(`first load, the app (page, script, style, icon): ${summary(kb(appBytes), 'KB', 1)}`);
    console.log(`first load, everything (app, API answers, thumbnail): ${summary(kb(allBytes), 'KB', 1)}`);
    console.log(`collection screen interactive after: ${summary(interactive, 'ms')}`);
    console.log(`Generieren → first prompt words: ${summary(firstWords, 'ms')}`);
  } finally {
    await browser.close();
    server.stop();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }
}

await main();
