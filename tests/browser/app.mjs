#!/usr/bin/env node
// The web app in a real browser against the real binary, as a person uses it.
//
//   node tests/browser/app.mjs --binary target/debug/videoprompt [--screenshots DIR]
//        [--trusted-documents assets/app/persisted-documents.json] [--passes desktop,phone,keyboard]
//
// Starts `videoprompt serve --demo` (the Gemini stand-in inside the same process) on a free
// loopback port with a fresh data folder, and drives Debian's Chromium (CHROMIUM_PATH, default
// /usr/bin/chromium) through playwright-core. Passes:
//
//   desktop (1280 × 800) and phone (390 × 844), each as a new person: register; set a key;
//     create a collection; drop three images, one refused with its German reason while the
//     other two upload; generate for one (a double click makes one record) and watch the
//     prompt grow and finish; copy it; reload on a deep link; a slow one cancelled; a blocked
//     one shows its German message and is retried; the server restarted mid-generation and
//     the screen recovers; a second tab stays in step; a collection deleted after a
//     confirmation that names what goes with it; the session ended behind the app's back
//     sends the person to sign in and back where they were; sign out.
//   keyboard: the generate flow with the keyboard alone (Tab, Enter, arrow keys), the focus
//     visible on every control reached.
//
// With --trusted-documents FILE the server runs with `--trusted-documents FILE` (it then runs
// only the documents listed there) and the passes show the app needs nothing else.
//
// Fails on: any console error or uncaught exception (but the refused connections while the
// server is down on purpose), any CSP violation, any request to another origin, any English
// error text or raw error code on screen. Saves a screenshot of each main screen to
// target/web-screenshots/ (or --screenshots DIR), and one of the failing screen on failure.
// Waits for conditions, never for a fixed time. Prints one summary line; exit 0 on success.

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = path.join(REPO, 'tests', 'fixtures', 'images');
const STEP_MS = 20_000;
const OVERALL_MS = Number(process.env.WEB_APP_TEST_TIMEOUT_MS || 600_000);
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
const PASSWORD = 'correct horse battery staple';

// ---------------------------------------------------------------------------------------------
// Arguments

function usage(message) {
  if (message) console.error(`app.mjs: ${message}`);
  console.error(
    'usage: node tests/browser/app.mjs --binary PATH [--screenshots DIR] [--trusted-documents FILE] [--passes desktop,phone,keyboard]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const options = {
    binary: null,
    screenshots: path.join(REPO, 'target', 'web-screenshots'),
    trusted: null,
    passes: ['desktop', 'phone', 'keyboard'],
  };
  for (let i = 0; i < argv.length; i++) {
    const value = () => argv[++i] ?? usage(`${argv[i - 1]} needs a value`);
    switch (argv[i]) {
      case '--binary':
        options.binary = path.resolve(value());
        break;
      case '--screenshots':
        options.screenshots = path.resolve(value());
        break;
      case '--trusted-documents':
        options.trusted = path.resolve(value());
        break;
      case '--passes':
        options.passes = value().split(',');
        break;
      default:
        usage(`unknown argument ${argv[i]}`);
    }
  }
  if (!options.binary) usage('--binary is required');
  return options;
}

const options = parseArgs(process.argv.slice(2));
fs.mkdirSync(options.screenshots, { recursive: true });

// ---------------------------------------------------------------------------------------------
// The server, as a child process that can be stopped and started again on the same port

class Server {
  constructor(binary, extraArgs) {
    this.binary = binary;
    this.extraArgs = extraArgs;
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'videoprompt-web-'));
    this.port = 0;
    this.child = null;
    this.log = [];
  }

  get origin() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    const args = [
      'serve',
      '--demo',
      '--listen',
      `127.0.0.1:${this.port}`,
      '--data-dir',
      this.dataDir,
      // Handed back at once on SIGTERM, so a restart mid-generation is quick to test.
      '--shutdown-grace',
      '0s',
      ...this.extraArgs,
    ];
    const child = spawn(this.binary, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info', NO_COLOR: '1' },
    });
    this.child = child;
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exited = exited;
    const lines = readline.createInterface({ input: child.stderr });
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server did not start within 60 s')), 60_000);
      lines.on('line', (line) => {
        this.log.push(line);
        const match = line.match(/GraphiQL at http:\/\/127\.0\.0\.1:(\d+)/);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code ?? signal}) before listening:\n${this.log.slice(-20).join('\n')}`));
      });
    });
    this.port = port;
  }

  async stop(signal = 'SIGTERM') {
    if (!this.child) return;
    this.child.kill(signal);
    await this.exited;
    this.child = null;
  }

  cleanup() {
    if (this.child) this.child.kill('SIGKILL');
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Watching the page: console errors, CSP, other origins, English or raw codes on screen

class Watch {
  constructor(page, origin, name) {
    this.page = page;
    this.origin = origin;
    this.name = name;
    this.problems = [];
    this.serverDown = false;
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      if (/Content Security Policy|Refused to/i.test(text)) {
        this.problems.push(`CSP violation: ${text}`);
      } else if (this.serverDown && /WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource|net::/i.test(text)) {
        // Expected while the server is stopped on purpose.
      } else {
        this.problems.push(`console error: ${text}`);
      }
    });
    page.on('pageerror', (err) => this.problems.push(`uncaught exception: ${err.message}`));
    page.on('request', (request) => {
      const url = request.url();
      if (url.startsWith('data:') || url.startsWith('blob:')) return;
      const { origin } = new URL(url);
      const ws = origin.replace(/^ws/, 'http');
      if (origin !== this.origin && ws !== this.origin) this.problems.push(`request to another origin: ${url}`);
    });
    page.on('response', (response) => {
      const status = response.status();
      if (status >= 500 && !this.serverDown) this.problems.push(`HTTP ${status} for ${response.url()}`);
    });
  }

  check() {
    if (this.problems.length > 0) throw new Error(`${this.name}: ${this.problems.join('\n')}`);
  }
}

/** The visible text holds no English error text and no raw error code. */
async function assertGermanScreen(page, where) {
  const text = await page.locator('main').innerText();
  const codes =
    /\b(UNAUTHENTICATED|NOT_FOUND|BAD_USER_INPUT|CONFLICT|RATE_LIMITED|PAYLOAD_TOO_LARGE|GEMINI_[A-Z_]+|GRAPHQL_[A-Z_]+|INTERNAL|TIMEOUT|PENDING|PROCESSING|COMPLETED|FAILED|CANCELLED)\b/;
  const english = /\b(error|failed|the file|not signed in|session has expired|try again|is not|cannot)\b/i;
  const found = text.match(codes) || text.match(english);
  if (found) throw new Error(`${where}: the screen shows "${found[0]}":\n${text.slice(0, 2000)}`);
}

// ---------------------------------------------------------------------------------------------
// Helpers for acting like a person

const heading = (page, name) => page.getByRole('heading', { level: 1, name });

async function see(page, text, timeout = STEP_MS) {
  await page.getByText(text).first().waitFor({ state: 'visible', timeout });
}

async function gone(page, text, timeout = STEP_MS) {
  await page.getByText(text).first().waitFor({ state: 'hidden', timeout });
}

/** Saves a screenshot, after checking that nothing sticks out sideways (no horizontal
 * scrolling on a phone). */
async function shot(page, pass, name) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  if (scroll > width) throw new Error(`${name}: the page is ${scroll} px wide on a ${width} px screen`);
  await page.screenshot({ path: path.join(options.screenshots, `${pass}-${name}.png`), fullPage: true });
}

async function navTo(page, label) {
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await nav.getByRole('link', { name: label }).click();
}

async function setKey(page, key) {
  await navTo(page, 'Einstellungen');
  await heading(page, 'Einstellungen').waitFor();
  await page.getByLabel(/Schlüssel$/).first().fill(key);
  await page.getByRole('button', { name: 'Schlüssel speichern' }).click();
  await see(page, 'Der Schlüssel ist gespeichert.');
}

async function openImage(page, collection, fileName) {
  await navTo(page, 'Sammlungen');
  await heading(page, 'Sammlungen').waitFor();
  await page.getByRole('link', { name: collection, exact: true }).click();
  await heading(page, collection).waitFor();
  await page.getByRole('link', { name: `Prompt für ${fileName} erstellen` }).click();
  await heading(page, fileName).waitFor();
}

async function generate(page, { camera, effect, notes } = {}) {
  if (camera) await page.getByLabel('Kamerastil').selectOption({ label: camera });
  if (effect) await page.getByLabel('Filmeffekt').selectOption({ label: effect });
  if (notes !== undefined) await page.getByLabel(/Hinweise für Gemini/).fill(notes);
  await page.getByRole('button', { name: 'Generieren' }).click();
  await page.waitForURL(/\/prompts\/[0-9a-f-]+$/, { timeout: STEP_MS });
  await heading(page, /Prompt/).waitFor();
  return page.url().split('/').pop();
}

/** The badge in the prompt screen's heading. */
async function status(page, label, timeout = STEP_MS) {
  await page.locator('h1 .badge', { hasText: label }).waitFor({ timeout });
}

async function dropFiles(page, selector, files) {
  const payload = files.map((name) => ({
    name,
    type: name.endsWith('.gif') ? 'image/gif' : name.endsWith('.png') ? 'image/png' : 'image/jpeg',
    b64: fs.readFileSync(path.join(FIXTURES, name)).toString('base64'),
  }));
  const transfer = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const bin = atob(f.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, payload);
  await page.dispatchEvent(selector, 'dragenter', { dataTransfer: transfer });
  await page.dispatchEvent(selector, 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer: transfer });
}

/** One of the app's own operations, by name, exactly as the app sends it (from the manifest
 * the build wrote), so the test's own requests pass a server that runs only trusted documents. */
const MANIFEST = JSON.parse(fs.readFileSync(path.join(REPO, 'assets', 'app', 'persisted-documents.json'), 'utf8'));
function appDocument(name) {
  const text = Object.values(MANIFEST).find((t) => new RegExp(`^\\s*(query|mutation|subscription) ${name}\\b`).test(t));
  if (!text) throw new Error(`the app has no operation ${name}`);
  return text;
}

async function gql(origin, token, query, variables = {}) {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

/** Clicks an export button and returns the downloaded file's text. */
async function download(page, label, name) {
  const [file] = await Promise.all([
    page.waitForEvent('download', { timeout: STEP_MS }),
    page.getByRole('button', { name: new RegExp(`^${label}`) }).click(),
  ]);
  if (!name.test(file.suggestedFilename())) throw new Error(`the download is named ${file.suggestedFilename()}`);
  const stream = await file.createReadStream();
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const token = (page) => page.evaluate(() => localStorage.getItem('videoprompt.token'));

// ---------------------------------------------------------------------------------------------
// The person's pass

async function personPass(browser, server, pass, viewport) {
  const context = await browser.newContext({ viewport, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const page = await context.newPage();
  const watch = new Watch(page, server.origin, pass);
  const email = `${pass}-${Date.now()}@beispiel.de`;
  const collection = pass === 'phone' ? 'Ausflug' : 'Urlaub am See';
  const steps = [];
  const step = (name) => steps.push(name);
  try {
    // Register.
    await page.goto(`${server.origin}/`);
    await heading(page, 'Anmelden').waitFor();
    await see(page, 'Die Antworten kommen von einem lokalen Platzhalter, nicht von Google Gemini.');
    await shot(page, pass, '01-anmelden');
    await page.getByRole('link', { name: 'Jetzt registrieren' }).click();
    await heading(page, 'Registrieren').waitFor();
    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByLabel('Passwort').fill('kurz');
    await page.getByRole('button', { name: 'Konto anlegen' }).click();
    await see(page, 'Das Passwort muss mindestens 10 Zeichen lang sein.');
    await shot(page, pass, '02-registrieren');
    await page.getByLabel('Passwort').fill(PASSWORD);
    await page.getByRole('button', { name: 'Konto anlegen' }).click();
    step('registered');

    // Set a key (the settings open by themselves after registering).
    await heading(page, 'Einstellungen').waitFor();
    await see(page, 'Es ist noch kein Schlüssel hinterlegt.');
    await page.getByLabel('Schlüssel', { exact: true }).fill('demo-key-1234');
    await page.getByRole('button', { name: 'Schlüssel speichern' }).click();
    await see(page, 'Der Schlüssel ist gespeichert.');
    await see(page, '…1234');
    await shot(page, pass, '03-einstellungen');
    step('key set');

    // Create a collection.
    await page.getByRole('link', { name: 'Weiter zu den Sammlungen' }).click();
    await heading(page, 'Sammlungen').waitFor();
    await see(page, 'Sie haben noch keine Sammlung.');
    await page.getByLabel('Neue Sammlung').fill(collection);
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await heading(page, collection).waitFor();
    step('collection created');

    // Drop three images: the GIF is refused with its German reason, the other two upload.
    await dropFiles(page, '[data-testid="dropzone"]', ['landscape.jpg', 'animated.gif', 'landscape.png']);
    const item = (name) => page.locator(`.upload-item[data-file="${name}"]`);
    await item('landscape.jpg').getByText('Hochgeladen').waitFor({ timeout: STEP_MS });
    await item('landscape.png').getByText('Hochgeladen').waitFor({ timeout: STEP_MS });
    await item('animated.gif').getByText('Abgelehnt: Dieses Dateiformat wird nicht unterstützt.').waitFor({ timeout: STEP_MS });
    await page.locator('.image-card').nth(1).waitFor();
    if ((await page.locator('.image-card').count()) !== 2) throw new Error('expected two images in the collection');
    // Thumbnails load from Image.url.
    await page.waitForFunction(() => [...document.querySelectorAll('.image-card img')].every((img) => img.complete && img.naturalWidth > 0));
    await assertGermanScreen(page, 'collection after uploads');
    await shot(page, pass, '04-sammlung');
    step('uploaded 2 of 3');

    // Generate for one and watch the prompt grow: a slow stand-in spreads its answer over 3 s.
    await setKey(page, 'fault:slow:3000');
    await openImage(page, collection, 'landscape.jpg');
    await page.getByLabel('Kamerastil').selectOption({ label: 'Drohnenflug' });
    await page.getByLabel('Filmeffekt').selectOption({ label: 'Goldene Stunde' });
    await page.getByLabel(/Hinweise für Gemini/).fill('Nebel über dem See');
    await see(page, '18 / 500 Zeichen');
    await shot(page, pass, '05-bild');
    // A double click: one record.
    await page.getByRole('button', { name: 'Generieren' }).dblclick();
    await page.waitForURL(/\/prompts\/[0-9a-f-]+$/, { timeout: STEP_MS });
    const firstId = page.url().split('/').pop();
    await status(page, 'Läuft');
    const text = page.locator('[data-testid="prompt-text"]');
    await page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid="prompt-text"]');
        return el && el.classList.contains('is-writing') && el.textContent.trim().split(/\s+/).length >= 3;
      },
      null,
      { timeout: STEP_MS },
    );
    const partial = (await text.innerText()).trim();
    await shot(page, pass, '06-prompt-laeuft');
    await status(page, 'Fertig');
    const full = (await text.innerText()).trim();
    if (!(full.length > partial.length && full.startsWith(partial.slice(0, 20)))) {
      throw new Error(`the prompt did not grow: "${partial}" then "${full}"`);
    }
    for (const label of ['Szene', 'Kamera', 'Licht', 'Stimmung', 'Effekte']) {
      await page.locator('.details dt', { hasText: label }).waitFor();
    }
    await see(page, 'Modell:');
    await see(page, /Tokens: [\d.]+ Eingabe, [\d.]+ Ausgabe/);
    await see(page, 'Drohnenflug · Goldene Stunde');
    await assertGermanScreen(page, 'completed prompt');
    await shot(page, pass, '07-prompt-fertig');
    step('generated and watched it grow');

    // Copy.
    await page.getByRole('button', { name: 'Kopieren' }).click();
    await see(page, 'Der Prompt ist in der Zwischenablage.');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    if (copied.trim() !== full) throw new Error(`the clipboard holds "${copied}" instead of the prompt`);
    step('copied');

    // Reload on a deep link.
    await page.reload();
    await status(page, 'Fertig');
    await see(page, full.slice(0, 40));
    await page.goto(`${server.origin}${new URL(page.url()).pathname.replace(/\/prompts\/.*/, '/sammlungen')}`);
    await heading(page, 'Sammlungen').waitFor();
    step('reloaded on deep links');

    // The double click made one record.
    await openImage(page, collection, 'landscape.jpg');
    await page.locator('.prompt-list .prompt-item').first().waitFor();
    const records = await page.locator('.prompt-list .prompt-item').count();
    if (records !== 1) throw new Error(`a double click on Generieren made ${records} records`);

    // Export the image's prompts (CSV) and the collection's (Markdown): real downloads.
    const csv = await download(page, 'Als CSV exportieren', /\.csv$/);
    if (!csv.includes(full.slice(0, 30))) throw new Error(`the CSV export lacks the prompt:\n${csv.slice(0, 500)}`);
    await page.getByRole('link', { name: collection, exact: true }).click();
    await heading(page, collection).waitFor();
    const markdown = await download(page, 'Als Markdown exportieren', /\.md$/);
    if (!markdown.includes(full.slice(0, 30))) throw new Error(`the Markdown export lacks the prompt:\n${markdown.slice(0, 500)}`);
    step('exported');

    // A slow one, cancelled.
    await setKey(page, 'fault:slow:60000');
    await openImage(page, collection, 'landscape.jpg');
    await generate(page, { camera: 'Kreisfahrt um das Motiv', effect: 'Zeitlupe', notes: '' });
    await status(page, 'Läuft');
    await page.getByRole('button', { name: 'Abbrechen' }).click();
    await status(page, 'Abgebrochen');
    await page.getByRole('button', { name: 'Erneut versuchen' }).waitFor();
    await assertGermanScreen(page, 'cancelled prompt');
    await shot(page, pass, '08-prompt-abgebrochen');
    step('cancelled a slow one');

    // A blocked one: its German message, then retried with a good key.
    await setKey(page, 'fault:blocked');
    await openImage(page, collection, 'landscape.png');
    await generate(page, { camera: 'Handkamera', effect: 'Film noir' });
    await status(page, 'Fehlgeschlagen');
    await see(page, 'Gemini hat die Anfrage aus Sicherheitsgründen blockiert');
    await assertGermanScreen(page, 'blocked prompt');
    await shot(page, pass, '09-prompt-blockiert');
    const blockedPath = new URL(page.url()).pathname;
    await setKey(page, 'demo-key-5678');
    await navTo(page, 'Prompts');
    await heading(page, 'Alle Prompts').waitFor();
    await shot(page, pass, '10-alle-prompts');
    const all = JSON.parse(await download(page, 'Als JSON exportieren', /\.json$/));
    if (!JSON.stringify(all).includes(full.slice(0, 30))) throw new Error('the JSON export of all prompts lacks the first prompt');
    await page.locator(`a[href="${blockedPath}"]`).click();
    await status(page, 'Fehlgeschlagen');
    await page.getByRole('button', { name: 'Erneut versuchen' }).click();
    await page.waitForURL((url) => url.pathname !== blockedPath && url.pathname.startsWith('/prompts/'), { timeout: STEP_MS });
    await status(page, 'Fertig');
    step('blocked, then retried');

    // A second tab stays in step: it sees a generation made in the first.
    const other = await context.newPage();
    const otherWatch = new Watch(other, server.origin, `${pass} (second tab)`);
    await other.goto(page.url().replace(/\/prompts\/.*/, '/sammlungen'));
    await heading(other, 'Sammlungen').waitFor();
    await other.getByRole('link', { name: collection, exact: true }).click();
    await other.getByRole('link', { name: 'Prompt für landscape.png erstellen' }).click();
    await heading(other, 'landscape.png').waitFor();
    const before = await other.locator('.prompt-list .prompt-item').count();
    await openImage(page, collection, 'landscape.png');
    await generate(page, { camera: 'Kranfahrt' });
    await status(page, 'Fertig');
    await other.waitForFunction((n) => document.querySelectorAll('.prompt-list .prompt-item').length === n + 1, before, { timeout: STEP_MS });
    await other.locator('.prompt-list .prompt-item').first().locator('.badge', { hasText: 'Fertig' }).waitFor({ timeout: STEP_MS });
    step('second tab in step');

    // The server restarts mid-generation: the screen recovers and shows the true state.
    await setKey(page, 'fault:slow:4000');
    await openImage(page, collection, 'landscape.jpg');
    const restartedId = await generate(page, { camera: 'Langsamer Zoom' });
    await status(page, 'Läuft');
    watch.serverDown = otherWatch.serverDown = true;
    await server.stop('SIGTERM');
    await see(page, 'Die Verbindung zum Server ist unterbrochen – sie wird wiederhergestellt …');
    await shot(page, pass, '11-verbindung-unterbrochen');
    await server.start();
    await gone(page, 'Die Verbindung zum Server ist unterbrochen');
    await status(page, 'Fertig', 30_000);
    watch.serverDown = otherWatch.serverDown = false;
    const truth = await gql(server.origin, await token(page), appDocument('VideoPrompt'), { id: restartedId });
    if (truth.data?.videoPrompt?.status !== 'COMPLETED') throw new Error(`after the restart the record is ${JSON.stringify(truth)}`);
    await see(page, truth.data.videoPrompt.prompt.slice(0, 40));
    step('recovered from a restart');

    // Rename the collection; a second one is deleted after a confirmation naming its images.
    await navTo(page, 'Sammlungen');
    await heading(page, 'Sammlungen').waitFor();
    await page.getByLabel('Neue Sammlung').fill('Zum Löschen');
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await heading(page, 'Zum Löschen').waitFor();
    await dropFiles(page, '[data-testid="dropzone"]', ['landscape.webp']);
    await page.locator('.upload-item[data-file="landscape.webp"]').getByText('Hochgeladen').waitFor({ timeout: STEP_MS });
    await page.locator('.image-card').first().waitFor();
    await page.getByRole('button', { name: 'Umbenennen' }).click();
    await page.getByLabel('Neuer Name').fill('Weg damit');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await heading(page, 'Weg damit').waitFor();
    await page.getByRole('button', { name: 'Sammlung löschen' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sammlung „Weg damit“ löschen?' });
    await dialog.getByText('Mit ihr werden ein Bild und alle dazu geschriebenen Prompts endgültig gelöscht.').waitFor();
    await shot(page, pass, '12-loeschen-bestaetigen');
    await dialog.getByRole('button', { name: 'Endgültig löschen' }).click();
    await heading(page, 'Sammlungen').waitFor();
    await page.getByRole('link', { name: collection, exact: true }).waitFor();
    if ((await page.getByRole('link', { name: 'Weg damit' }).count()) !== 0) throw new Error('the deleted collection is still listed');
    await shot(page, pass, '13-sammlungen');
    step('renamed and deleted a collection');

    // The session ends behind the app's back (signed out elsewhere): to the sign-in with a
    // German message, and back where the person was.
    await openImage(page, collection, 'landscape.png');
    const imagePath = new URL(page.url()).pathname;
    await gql(server.origin, await token(page), appDocument('Logout'));
    await heading(page, 'Anmelden').waitFor({ timeout: STEP_MS });
    await see(page, 'Ihre Sitzung ist abgelaufen.');
    await heading(other, 'Anmelden').waitFor({ timeout: STEP_MS });
    await shot(page, pass, '14-sitzung-abgelaufen');
    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByLabel('Passwort').fill(PASSWORD);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((url) => url.pathname === imagePath, { timeout: STEP_MS });
    await heading(page, 'landscape.png').waitFor();
    step('expired session returned to the same screen');

    // The smallest phones: 360 px wide.
    if (pass === 'phone') {
      await page.setViewportSize({ width: 360, height: 740 });
      await shot(page, pass, '15-bild-360px');
      await navTo(page, 'Prompts');
      await heading(page, 'Alle Prompts').waitFor();
      await shot(page, pass, '16-alle-prompts-360px');
    }

    // Sign out: both tabs.
    await other.reload();
    await heading(other, 'landscape.png').waitFor();
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await heading(page, 'Anmelden').waitFor();
    await heading(other, 'Anmelden').waitFor({ timeout: STEP_MS });
    step('signed out');

    watch.check();
    otherWatch.check();
    await context.close();
    return { email, steps };
  } catch (err) {
    for (const [i, open] of page.context().pages().entries()) {
      const name = i === 0 ? `${pass}-FAILED.png` : `${pass}-FAILED-tab${i + 1}.png`;
      await open.screenshot({ path: path.join(options.screenshots, name), fullPage: true }).catch(() => {});
    }
    err.message = `${pass} pass failed after [${steps.join(', ')}]: ${err.message}\n${watch.problems.join('\n')}`;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// The keyboard pass: the generate flow without a mouse

async function keyboardPass(browser, server, email) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'de-DE' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const page = await context.newPage();
  const watch = new Watch(page, server.origin, 'keyboard');
  const steps = [];
  const unfocused = new Set();

  /** Presses Tab until the focused element matches; checks the focus is visible on each. */
  async function tabTo(description, matches, max = 60) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        const label = el.labels?.[0]?.textContent ?? '';
        return {
          tag: el.tagName.toLowerCase(),
          text: (el.getAttribute('aria-label') || el.textContent || '').trim(),
          label: label.trim(),
          visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        };
      });
      if (!focused) continue;
      if (!focused.visible) unfocused.add(`${focused.tag} "${focused.text || focused.label}"`);
      if (matches(focused)) return;
    }
    throw new Error(`Tab never reached ${description}`);
  }
  const named = (text) => (f) => f.text === text || f.label === text;

  try {
    await page.goto(`${server.origin}/anmelden`);
    await heading(page, 'Anmelden').waitFor();
    await tabTo('the e-mail field', named('E-Mail-Adresse'));
    await page.keyboard.type(email);
    await tabTo('the password field', named('Passwort'));
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await heading(page, 'Sammlungen').waitFor();
    steps.push('signed in');

    await tabTo('the collection', named('Urlaub am See'));
    await page.keyboard.press('Enter');
    await heading(page, 'Urlaub am See').waitFor();
    await tabTo('an image', (f) => f.text.startsWith('Prompt für landscape.jpg erstellen'));
    await page.keyboard.press('Enter');
    await heading(page, 'landscape.jpg').waitFor();
    steps.push('opened an image');

    await tabTo('the camera style', named('Kamerastil'));
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await tabTo('the film effect', named('Filmeffekt'));
    await page.keyboard.press('ArrowDown');
    await tabTo('the notes', named('Hinweise für Gemini (optional)'));
    await page.keyboard.type('Nur mit der Tastatur');
    const camera = await page.getByLabel('Kamerastil').evaluate((el) => el.selectedOptions[0].textContent);
    const effect = await page.getByLabel('Filmeffekt').evaluate((el) => el.selectedOptions[0].textContent);
    await tabTo('Generieren', named('Generieren'));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/prompts\/[0-9a-f-]+$/, { timeout: STEP_MS });
    await status(page, 'Fertig');
    await see(page, `${camera} · ${effect}`);
    steps.push('generated');

    await tabTo('Kopieren', named('Kopieren'));
    await page.keyboard.press('Enter');
    await see(page, 'Der Prompt ist in der Zwischenablage.');
    await shot(page, 'keyboard', '01-prompt-fertig');
    steps.push('copied');

    if (unfocused.size > 0) throw new Error(`focus not visible on: ${[...unfocused].join(', ')}`);
    watch.check();
    await context.close();
    return { steps };
  } catch (err) {
    await page.screenshot({ path: path.join(options.screenshots, 'keyboard-FAILED.png'), fullPage: true }).catch(() => {});
    err.message = `keyboard pass failed after [${steps.join(', ')}]: ${err.message}\n${watch.problems.join('\n')}`;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const extra = options.trusted ? ['--trusted-documents', options.trusted] : [];
  const server = new Server(options.binary, extra);
  const overall = setTimeout(() => {
    console.error(`app.mjs: gave up after ${OVERALL_MS / 1000} s`);
    server.cleanup();
    process.exit(1);
  }, OVERALL_MS);
  let browser;
  try {
    await server.start();
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    });
    const done = [];
    let email = null;
    if (options.passes.includes('desktop')) {
      email = (await personPass(browser, server, 'desktop', { width: 1280, height: 800 })).email;
      done.push('desktop 1280×800');
    }
    if (options.passes.includes('phone')) {
      await personPass(browser, server, 'phone', { width: 390, height: 844 });
      done.push('phone 390×844');
    }
    if (options.passes.includes('keyboard')) {
      if (!email) throw new Error('the keyboard pass needs the desktop pass first');
      await keyboardPass(browser, server, email);
      done.push('keyboard');
    }
    console.log(
      `web app: OK — ${done.join(', ')}${options.trusted ? ', trusted documents only' : ''}; screenshots in ${path.relative(REPO, options.screenshots)}`,
    );
  } catch (err) {
    console.error(err.stack || String(err));
    console.error(`--- server log (last lines) ---\n${server.log.slice(-30).join('\n')}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(overall);
    await browser?.close().catch(() => {});
    await server.stop('SIGKILL').catch(() => {});
    server.cleanup();
  }
}

await main();
