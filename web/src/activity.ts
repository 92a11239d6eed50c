// Requests in flight, so that a slow network shows a progress bar instead of a frozen page.

type Listener = (busy: boolean) => void;
let inFlight = 0;
const listeners = new Set<Listener>();

/** Counts one request in flight; call the returned function when it is done. */
export function track(): () => void {
  inFlight += 1;
  if (inFlight === 1) listeners.forEach((l) => l(true));
  let finished = false;
  return () => {
    if (finished) return;
    finished = true;
    inFlight -= 1;
    if (inFlight === 0) listeners.forEach((l) => l(false));
  };
}

export function onActivity(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
