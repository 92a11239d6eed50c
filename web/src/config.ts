// What the server tells the app about itself, in <meta name="videoprompt-config"> (filled in
// when it serves index.html, so the first render needs no extra request and no inline script).

export interface AppConfig {
  /** `videoprompt serve --demo`: answers come from the local Gemini stand-in. */
  demo: boolean;
  /** Largest file an upload may carry, in bytes. */
  uploadLimit: number | null;
  /** Width × height limit of an uploaded image. */
  maxImagePixels: number | null;
}

function read(): AppConfig {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="videoprompt-config"]');
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(meta?.content || '{}') as Record<string, unknown>;
  } catch {
    raw = {};
  }
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    demo: raw.demo === true,
    uploadLimit: num(raw.uploadLimit),
    maxImagePixels: num(raw.maxImagePixels),
  };
}

export const config: AppConfig = read();
