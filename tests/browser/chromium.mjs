// Debian's Chromium for the browser scripts, driven by playwright-core (no browser download).
//
// The flags keep a headless Chromium off the network it would otherwise call on its own
// (component updates, sync, background requests): this machine's closed network refuses those
// connections, and a test must see only the requests the page makes.

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
