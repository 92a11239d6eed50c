#!/usr/bin/env node
// Browser check of the GraphiQL page that the videoprompt binary serves at `/graphiql`.
//
//   node tests/browser/graphiql.mjs http://127.0.0.1:PORT
//   node tests/browser/graphiql.mjs http://127.0.0.1:PORT --screenshot out.png
//
// Launches Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) headless
// through playwright-core (no browser download), opens the page, runs
// `{ cameraStyles { value label } }` from the query editor, waits for the
// German labels in the result pane, then opens and closes the settings dialog
// (which injects <style> elements, so the CSP is exercised). It fails on:
//   - any request (HTTP or WebSocket) to another origin than the server's,
//   - any HTTP error status from the server while the page loads or runs,
//   - a failed introspection query (GraphiQL needs the schema),
//   - a missing Content-Security-Policy header on the page,
//   - any console error, uncaught page error or CSP violation,
//   - the whole run taking longer than the overall timeout (30 s by default,
//     GRAPHIQL_TEST_TIMEOUT_MS to change it).
// On failure a screenshot goes to target/graphiql-failure.png (relative to the
// repository root). With --screenshot FILE a screenshot is saved after the query
// ran, for a person to look at.
//
// Prints one summary line; exit 0 on success, 1 on a failed check, 2 on usage.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const QUERY = '{ cameraStyles { value label } }';
const EXPECTED = ['Kreisfahrt um das Motiv', 'Statische Kamera'];
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FAILURE_SCREENSHOT = path.join(REPO_ROOT, 'target', 'graphiql-failure.png');
const OVERALL_MS = Number(process.env.GRAPHIQL_TEST_TIMEOUT_MS || 30_000);
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

function usage(message) {
  if (message) console.error(`graphiql.mjs: ${message}`);
  console.error('usage: node tests/browser/graphiql.mjs http://127.0.0.1:PORT [--screenshot out.png]');
  process.exit(2);
}

function parseArgs(argv) {
  let base = null;
  let screenshot = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--screenshot') {
      screenshot = argv[++i];
      if (!screenshot) usage('--screenshot needs a file name');
    } else if (a.startsWith('--screenshot=')) {
      screenshot = a.slice('--screenshot='.length);
    } else if (a === '-h' || a === '--help') {
      usage();
    } else if (!base) {
      base = a;
    } else {
      usage(`unexpected argument ${a}`);
    }
  }
  if (!base) usage('missing server URL');
  let url;
  try {
    url = new URL(base);
  } catch {
    usage(`not a URL: ${base}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') usage(`not an http(s) URL: ${base}`);
  return { origin: url.origin, screenshot: screenshot && path.resolve(screenshot) };
}

class CheckFailed extends Error {}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new CheckFailed(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const { origin, screenshot } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const deadline = started + OVERALL_MS;
  const remaining = () => Math.max(1, deadline - Date.now());
  // Last resort, should the browser hang somewhere no timeout reaches.
  setTimeout(() => {
    console.error(`graphiql: FAIL — hard timeout (${OVERALL_MS + 15_000} ms), browser did not finish`);
    process.exit(1);
  }, OVERALL_MS + 15_000).unref();

  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    console.error(`graphiql: FAIL — no Chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
    process.exit(1);
  }

  const problems = []; // console errors, page errors, CSP violations, HTTP errors
  const clip = (text) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);
  const foreign = []; // requests to other origins
  let requestCount = 0;
  let page = null;
  let browser = null;

  const isForeign = (raw) => {
    let u;
    try {
      u = new URL(raw);
    } catch {
      return true;
    }
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.href === 'about:blank') return false;
    const asHttp = u.protocol === 'ws:' ? 'http:' : u.protocol === 'wss:' ? 'https:' : u.protocol;
    return `${asHttp}//${u.host}` !== origin;
  };

  const fail = (message) => {
    throw new CheckFailed(message);
  };

  try {
    browser = await withTimeout(
      chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: remaining() }),
      remaining(),
      `launching ${executablePath}`,
    );
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
    context.setDefaultTimeout(remaining());

    // Nothing may leave the server's origin: record and block anything else.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isForeign(url)) {
        foreign.push(url);
        return route.abort('blockedbyclient');
      }
      return route.continue();
    });
    context.on('request', (req) => {
      requestCount++;
      if (isForeign(req.url()) && !foreign.includes(req.url())) foreign.push(req.url());
    });

    // CSP violations, reported from the page through a CDP binding (not subject to the page's CSP).
    await context.exposeBinding('__reportCspViolation', (_source, v) => {
      problems.push(clip(`CSP violation: ${v.directive} blocked ${v.blockedURI || '(inline)'} at ${v.sourceFile || '?'}:${v.line || 0} ${v.sample || ''}`.trim()));
    });
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        // eslint-disable-next-line no-undef
        window.__reportCspViolation({
          directive: e.violatedDirective,
          blockedURI: e.blockedURI,
          sourceFile: e.sourceFile,
          line: e.lineNumber,
          sample: e.sample,
        });
      });
    });

    page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(clip(`console error: ${msg.text()}`));
    });
    page.on('pageerror', (err) => problems.push(clip(`page error: ${err.message}`)));
    page.on('websocket', (ws) => {
      requestCount++;
      if (isForeign(ws.url())) foreign.push(ws.url());
    });
    page.on('response', (res) => {
      if (res.status() >= 400 && !isForeign(res.url())) {
        problems.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
      }
    });

    const introspection = page.waitForResponse(
      (res) =>
        res.request().method() === 'POST' &&
        new URL(res.url()).pathname === '/graphql' &&
        (res.request().postData() || '').includes('IntrospectionQuery'),
      { timeout: remaining() },
    );
    introspection.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile

    const response = await page.goto(`${origin}/graphiql`, { waitUntil: 'load', timeout: remaining() }).catch((e) => {
      fail(`cannot load ${origin}/graphiql: ${String(e.message).split('\n')[0]}`);
    });
    if (!response) fail(`no response for ${origin}/graphiql`);
    if (response.status() !== 200) fail(`GET / answered ${response.status()}`);
    const csp = (await response.allHeaders())['content-security-policy'];
    if (!csp) fail('GET / has no Content-Security-Policy header');

    // The query editor is a CodeMirror 5 instance inside GraphiQL.
    const editor = page.locator('.graphiql-query-editor .CodeMirror').first();
    await editor.waitFor({ state: 'visible', timeout: remaining() }).catch(() => {
      fail('the GraphiQL query editor did not appear (scripts not loaded?)');
    });

    const intro = await withTimeout(introspection, remaining(), 'GraphiQL\'s introspection query').catch((e) => {
      fail(`GraphiQL sent no introspection query to ${origin}/graphql (${e.message})`);
    });
    if (intro.status() !== 200) fail(`introspection query answered HTTP ${intro.status()}`);
    const introBody = await intro.json().catch(() => null);
    if (!introBody || !introBody.data || !introBody.data.__schema) {
      fail(`introspection query answered without data.__schema: ${JSON.stringify(introBody).slice(0, 300)}`);
    }

    // Replace the query. Through CodeMirror's API: typing would fight its auto-closing brackets.
    const replaced = await page.evaluate((q) => {
      const el = document.querySelector('.graphiql-query-editor .CodeMirror');
      if (!el || !el.CodeMirror) return false;
      el.CodeMirror.setValue(q);
      return el.CodeMirror.getValue() === q;
    }, QUERY);
    if (!replaced) {
      // Fallback: select all in the editor and type over it.
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await page.keyboard.type(QUERY);
    }
    // GraphiQL re-parses the editor (operation name, subscription or not) after a short debounce.
    await sleep(500);

    const runButton = page.locator('button.graphiql-execute-button').first();
    if (await runButton.isVisible().catch(() => false)) {
      await runButton.click({ timeout: remaining() });
    } else {
      await editor.click();
      await page.keyboard.press('Control+Enter');
    }

    // Wait for both labels in the result pane.
    let resultText = '';
    for (;;) {
      resultText = await page.evaluate(() => {
        const el = document.querySelector('.graphiql-response .CodeMirror');
        if (el && el.CodeMirror) return el.CodeMirror.getValue();
        const pane = document.querySelector('.graphiql-response');
        return pane ? pane.innerText : '';
      });
      if (EXPECTED.every((label) => resultText.includes(label))) break;
      if (Date.now() >= deadline) {
        fail(`the result pane never showed ${EXPECTED.map((l) => `"${l}"`).join(' and ')}; it shows: ${JSON.stringify(resultText.slice(0, 400))}`);
      }
      await sleep(100);
    }

    // Open and close the settings dialog: GraphiQL's dialogs inject <style> elements, the part
    // of the page that needs `style-src 'unsafe-inline'`.
    const settings = page.locator('button[aria-label="Open settings dialog"]').first();
    await settings.click({ timeout: remaining() }).catch(() => fail('no settings button ("Open settings dialog") in GraphiQL'));
    await page.locator('.graphiql-dialog').first().waitFor({ state: 'visible', timeout: remaining() })
      .catch(() => fail('the settings dialog did not open'));
    await page.keyboard.press('Escape');
    await page.locator('.graphiql-dialog').first().waitFor({ state: 'hidden', timeout: remaining() })
      .catch(() => fail('the settings dialog did not close on Escape'));

    // Give late errors (console, CSP reports) a moment to arrive.
    await sleep(300);

    if (foreign.length) fail(`requests to another origin than ${origin}: ${[...new Set(foreign)].join(', ')}`);
    if (problems.length) {
      const more = problems.length > 10 ? `\n  … and ${problems.length - 10} more` : '';
      fail(problems.slice(0, 10).join('\n  ') + more);
    }

    if (screenshot) {
      fs.mkdirSync(path.dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, timeout: remaining() });
    }

    const took = Date.now() - started;
    console.log(
      `graphiql: OK — ${origin}/graphiql rendered GraphiQL, ${QUERY} answered with ${EXPECTED.map((l) => `"${l}"`).join(' and ')}; ` +
        `${requestCount} requests, all same-origin; no console/page errors or CSP violations (CSP: ${csp}); ${took} ms` +
        (screenshot ? `; screenshot ${screenshot}` : ''),
    );
    await browser.close();
    return 0;
  } catch (err) {
    const message = err instanceof CheckFailed ? err.message : `unexpected error: ${err && err.stack ? err.stack : err}`;
    let shot = '';
    if (page) {
      try {
        fs.mkdirSync(path.dirname(FAILURE_SCREENSHOT), { recursive: true });
        await withTimeout(page.screenshot({ path: FAILURE_SCREENSHOT, timeout: 5_000 }), 6_000, 'failure screenshot');
        shot = ` (screenshot: ${FAILURE_SCREENSHOT})`;
      } catch {
        shot = ' (no screenshot could be taken)';
      }
    }
    const also = [];
    if (foreign.length && !message.includes('another origin')) also.push(`requests to another origin: ${[...new Set(foreign)].join(', ')}`);
    if (problems.length && !message.includes(problems[0])) also.push(...problems.slice(0, 10));
    console.error(`graphiql: FAIL — ${message}${shot}${also.length ? `\n  also: ${also.join('\n  also: ')}` : ''}`);
    if (browser) await withTimeout(browser.close(), 5_000, 'closing the browser').catch(() => {});
    return 1;
  }
}

process.exit(await main());
