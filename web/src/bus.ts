// Tells the screens that something changed, in this tab and in the app's other tabs of this
// browser (BroadcastChannel), so that two tabs show the same collections, images and settings.
// Topics: 'me', 'collections', 'collection:<id>', 'image:<id>', 'prompts', and '*' after the
// live connection came back (everything may have changed meanwhile).

type Listener = (topic: string) => void;
const listeners = new Set<Listener>();
const channel: BroadcastChannel | null =
  typeof BroadcastChannel === 'function' ? new BroadcastChannel('videoprompt') : null;

channel?.addEventListener('message', (event: MessageEvent) => {
  if (typeof event.data === 'string') deliver(event.data);
});

function deliver(topic: string) {
  listeners.forEach((l) => l(topic));
}

/** Announces a change made here: to this tab's screens and to the other tabs. */
export function changed(...topics: string[]) {
  for (const topic of topics) {
    deliver(topic);
    channel?.postMessage(topic);
  }
}

/** Announces a change to this tab only (the other tabs learn it their own way). */
export function changedHere(topic: string) {
  deliver(topic);
}

export function onChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
