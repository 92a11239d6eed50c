// A small history-API router: the app's paths are real URLs (the server answers every one of
// them with the app), so a reload or a shared link opens the same screen.

import { useEffect, useState } from 'preact/hooks';

export interface Location {
  path: string;
  search: URLSearchParams;
}

function read(): Location {
  return { path: location.pathname, search: new URLSearchParams(location.search) };
}

let current = read();
const listeners = new Set<(loc: Location) => void>();

function emit() {
  current = read();
  listeners.forEach((l) => l(current));
}

export function navigate(to: string, options: { replace?: boolean } = {}) {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  emit();
}

/** Where the person is now, as a path with its query, to come back to after signing in. */
export function here(): string {
  return location.pathname + location.search;
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    listeners.add(setLoc);
    setLoc(current);
    return () => {
      listeners.delete(setLoc);
    };
  }, []);
  return loc;
}

window.addEventListener('popstate', emit);

// Same-origin links navigate inside the app; a modified click (new tab), a download or a
// link with a target keeps the browser's own behaviour. Enter on a focused link is a click too.
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
  const href = anchor.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('//')) return;
  if (href.startsWith('/exports/') || href.startsWith('/images/') || href.startsWith('/graphiql')) return;
  event.preventDefault();
  navigate(href);
});
