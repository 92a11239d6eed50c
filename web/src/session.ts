// The sign-in token, kept in this browser's localStorage so that a reload and every tab of the
// app share it. Another tab signing in or out reaches this one through the `storage` event.

const KEY = 'videoprompt.token';
/** Why the last session ended, so that the other tabs tell the person the same. */
const ENDED = 'videoprompt.ended';

type Listener = (token: string | null, why: SessionChange) => void;
export type SessionChange = 'signed-in' | 'signed-out' | 'expired' | 'other-tab';

let token: string | null = safeGet();
const listeners = new Set<Listener>();

function safeGet(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

function safeSet(value: string | null) {
  try {
    if (value === null) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, value);
  } catch {
    // Private mode without storage: the session lasts as long as the page.
  }
}

export function getToken(): string | null {
  return token;
}

export function setToken(value: string | null, why: SessionChange) {
  token = value;
  if (value === null) {
    try {
      localStorage.setItem(ENDED, why);
    } catch {
      // No storage: only this tab knows.
    }
  }
  safeSet(value);
  listeners.forEach((l) => l(token, why));
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

window.addEventListener('storage', (event) => {
  if (event.key !== KEY && event.key !== null) return;
  const next = safeGet();
  if (next === token) return;
  token = next;
  let why: SessionChange = 'other-tab';
  try {
    if (next === null && localStorage.getItem(ENDED) === 'expired') why = 'expired';
  } catch {
    why = 'other-tab';
  }
  listeners.forEach((l) => l(token, why));
});
