// One image: Generieren (camera style, film effect, notes) and its Verlauf (prompts, newest
// first, paged, kept live by the image's subscription).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../api/client';
import { subscribe } from '../api/live';
import {
  GenerateVideoPromptDocument,
  ImageDocument,
  ImagePromptsUpdatedDocument,
  type CameraStyle,
  type FilmEffect,
  type ImageQuery,
  type PromptFieldsFragment,
} from '../gql/graphql';
import { changed } from '../bus';
import { describeError, describeFailure, type Problem } from '../errors';
import { formatBytes, formatDate, formatNumber } from '../format';
import { useHeadingFocus, useMorePages, useQuery, useTitle, type Page } from '../hooks';
import { navigate } from '../router';
import { Button, InfoNotice, Loading, ProblemNotice, StatusBadge, Thumb, newKey, progressOf } from '../ui';
import type { Me } from '../main';
import { ExportLinks } from './export';
import { usePickers } from './pickers';

const PAGE = 10;
const NOTES_MAX = 500;
type PromptNode = NonNullable<ImageQuery['image']>['videoPrompts']['nodes'][number];
const select = (data: unknown): Page<PromptNode> | null => (data as ImageQuery).image?.videoPrompts ?? null;

export function ImageScreen({ id, me }: { id: string; me: Me | null }) {
  // 'collections' too: the breadcrumbs name the collection, which another tab may rename.
  const query = useQuery(ImageDocument, { id, first: PAGE }, [`image:${id}`, 'collections']);
  const image = query.data?.image ?? null;
  useTitle(image?.fileName ?? 'Bild');
  const heading = useHeadingFocus();
  const more = useMorePages(
    ImageDocument,
    useCallback((after: string, first: number) => ({ id, first, after }), [id]),
    select,
    query.data ? select(query.data) : null,
    PAGE,
  );

  // Records of this image change live (here, in another tab, by the worker): the first events
  // are the unfinished ones as they are now, then every change. The latest event of each record
  // lies over what the last read said, unless the read is further on (an answer read before an
  // event must not undo it); a record the list does not show yet (asked for in another tab)
  // reads the first page again.
  const { refetch } = query;
  const [latest, setLatest] = useState<ReadonlyMap<string, PromptFieldsFragment>>(new Map());
  const shown = useRef(new Set<string>());
  shown.current = new Set(more.nodes.map((n) => n.id));
  useEffect(
    () =>
      subscribe(ImagePromptsUpdatedDocument, { imageId: id }, {
        next: (data) => {
          const record = data.videoPromptUpdated;
          setLatest((old) => new Map(old).set(record.id, record));
          if (!shown.current.has(record.id)) refetch();
        },
      }),
    [id, refetch],
  );
  const prompts = more.nodes.map((n) => {
    const event = latest.get(n.id);
    return event && progressOf(event.status) >= progressOf(n.status) ? { ...n, ...event } : n;
  });

  if (query.loading && !query.data) return <Loading />;
  if (query.error && !query.data) return <ProblemNotice problem={describeError(query.error)} />;
  if (!image) {
    return (
      <section>
        <h1 tabIndex={-1} ref={heading}>Bild nicht gefunden</h1>
        <p>Dieses Bild gibt es nicht (mehr). Vielleicht wurde es gelöscht.</p>
        <p><a href="/sammlungen">Zu den Sammlungen</a></p>
      </section>
    );
  }

  return (
    <section>
      <nav aria-label="Brotkrumen" class="breadcrumbs">
        <a href="/sammlungen">Sammlungen</a> <span aria-hidden="true">›</span>{' '}
        <a href={`/sammlungen/${image.collection.id}`}>{image.collection.name}</a> <span aria-hidden="true">›</span>{' '}
        <span aria-current="page">{image.fileName}</span>
      </nav>
      <h1 tabIndex={-1} ref={heading} class="break">{image.fileName}</h1>
      <div class="image-layout">
        <figure class="card image-figure">
          <Thumb class="image-large" src={image.url} alt={`Vorschau von ${image.fileName}`} width={image.width} height={image.height} onExpired={query.refetch} />
          <figcaption class="meta">
            {image.width && image.height ? `${formatNumber(image.width)} × ${formatNumber(image.height)} Pixel · ` : ''}
            {formatBytes(image.byteSize)} · hochgeladen am {formatDate(image.createdAt)}
          </figcaption>
        </figure>
        <GenerateForm imageId={id} me={me} />
      </div>
      <h2 id="verlauf">Verlauf</h2>
      {prompts.length === 0 ? (
        <p class="empty">Für dieses Bild wurde noch kein Prompt erstellt.</p>
      ) : (
        <ol class="prompt-list" aria-labelledby="verlauf">
          {prompts.map((prompt) => (
            <PromptItem key={prompt.id} prompt={prompt} />
          ))}
        </ol>
      )}
      <LoadOlderPrompts more={more} />
      <ExportLinks target={{ imageId: id }} label="Prompts dieses Bildes exportieren" />
    </section>
  );
}

/** "Ältere Prompts laden", under a list of `PromptItem`s. When the last page comes, the button
 * goes, and the focus on it would fall back to the page's start; it moves to the first prompt
 * that page brought instead (its link), where the person reads on. While there are more, the
 * focus stays on the button, for the next page. */
export function LoadOlderPrompts({
  more,
}: {
  more: { nodes: readonly { id: string }[]; hasMore: boolean; loadingMore: boolean; loadMore: () => void };
}) {
  // The last prompt shown when the button was pressed: the new page follows it (a record made
  // meanwhile comes on top, so a count would point at the wrong one). `started` once a render
  // shows the page loading: an effect of a render from before the press (Preact runs those
  // before the next render) must not take the press for a finished load.
  const pressed = useRef<{ last: string; started: boolean } | null>(null);
  useEffect(() => {
    const press = pressed.current;
    if (press === null) return;
    if (more.loadingMore) {
      press.started = true;
      return;
    }
    if (!press.started) return;
    pressed.current = null;
    if (more.hasMore) return;
    const at = more.nodes.findIndex((node) => node.id === press.last);
    const next = at < 0 ? undefined : more.nodes[at + 1];
    if (next) document.querySelector<HTMLAnchorElement>(`.prompt-list a[href="/prompts/${CSS.escape(next.id)}"]`)?.focus();
  }, [more.loadingMore, more.hasMore, more.nodes]);
  if (!more.hasMore) return null;
  return (
    <Button
      onClick={() => {
        const last = more.nodes[more.nodes.length - 1]?.id;
        pressed.current = last === undefined ? null : { last, started: false };
        more.loadMore();
      }}
      busy={more.loadingMore}
      busyLabel="Wird geladen …"
    >
      Ältere Prompts laden
    </Button>
  );
}

export function PromptItem({ prompt, image }: { prompt: PromptFieldsFragment; image?: { id: string; fileName: string; url: string } }) {
  const pickers = usePickers();
  const text =
    prompt.status === 'COMPLETED' && prompt.prompt
      ? prompt.prompt
      : prompt.status === 'FAILED'
        ? describeFailure(prompt.errorCode).message
        : prompt.status === 'CANCELLED'
          ? 'Abgebrochen.'
          : prompt.status === 'PENDING'
            ? 'Wartet darauf, dass Gemini sie bearbeitet …'
            : 'Gemini schreibt gerade …';
  return (
    <li class="card prompt-item" data-status={prompt.status}>
      {image && <Thumb class="mini-thumb" src={image.url} alt="" />}
      <div class="prompt-item-body">
        <p class="prompt-item-head">
          <StatusBadge status={prompt.status} /> <a href={`/prompts/${prompt.id}`}>Prompt vom {formatDate(prompt.createdAt)}</a>
          {image && <> · {image.fileName}</>}
        </p>
        <p class="meta">
          {pickers.cameraLabel(prompt.cameraStyle)} · {pickers.effectLabel(prompt.filmEffect)}
        </p>
        <p class="prompt-snippet">{text.length > 220 ? `${text.slice(0, 220)} …` : text}</p>
      </div>
    </li>
  );
}

function GenerateForm({ imageId, me }: { imageId: string; me: Me | null }) {
  const pickers = usePickers();
  const [camera, setCamera] = useState<CameraStyle | ''>('');
  const [effect, setEffect] = useState<FilmEffect | ''>('');
  const [notes, setNotes] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  // One key per request the person means to make: a double click, or a second try after a
  // lost answer, sends the same key and gets the same record. A change of the inputs is a new
  // request, and so is the next one after a success.
  const key = useRef({ value: newKey(), inputs: '' });

  // Until the person picks, the first option of each list (as the API orders them).
  const cameraValue: CameraStyle | '' = camera || pickers.data?.cameraStyles[0]?.value || '';
  const effectValue: FilmEffect | '' = effect || pickers.data?.filmEffects[0]?.value || '';

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy || cameraValue === '' || effectValue === '') return;
    const inputs = JSON.stringify([cameraValue, effectValue, notes]);
    if (key.current.inputs !== inputs) key.current = { value: newKey(), inputs };
    setBusy(true);
    setProblem(null);
    try {
      const result = await request(GenerateVideoPromptDocument, {
        input: { imageId, cameraStyle: cameraValue, filmEffect: effectValue, notes: notes.trim() === '' ? null : notes, idempotencyKey: key.current.value },
      });
      key.current = { value: newKey(), inputs: '' };
      changed(`image:${imageId}`, 'prompts');
      navigate(`/prompts/${result.generateVideoPrompt.id}`);
    } catch (err) {
      setProblem(describeError(err, 'generate'));
      setBusy(false);
    }
  };

  const remaining = NOTES_MAX - notes.length;
  return (
    <form class="card form generate-form" onSubmit={submit} aria-labelledby="generate-title">
      <h2 id="generate-title">Prompt erstellen</h2>
      {me && !me.hasGeminiApiKey && (
        <InfoNotice>
          <p>
            Es ist noch kein Gemini-API-Schlüssel hinterlegt. <a href="/einstellungen">Schlüssel in den Einstellungen hinterlegen</a>
          </p>
        </InfoNotice>
      )}
      {pickers.error && <ProblemNotice problem={describeError(pickers.error)} />}
      <div class="field">
        <label for="camera-style">Kamerastil</label>
        <select id="camera-style" value={cameraValue} disabled={!pickers.data} onChange={(e) => setCamera(e.currentTarget.value as CameraStyle)}>
          {!pickers.data && <option value="">Wird geladen …</option>}
          {pickers.data?.cameraStyles.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="film-effect">Filmeffekt</label>
        <select id="film-effect" value={effectValue} disabled={!pickers.data} onChange={(e) => setEffect(e.currentTarget.value as FilmEffect)}>
          {!pickers.data && <option value="">Wird geladen …</option>}
          {pickers.data?.filmEffects.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="notes">Hinweise für Gemini (optional)</label>
        <textarea
          id="notes"
          rows={3}
          maxLength={NOTES_MAX}
          aria-describedby="notes-count"
          placeholder="z. B. Nebel über dem See, ruhige Stimmung"
          value={notes}
          onInput={(e) => setNotes(e.currentTarget.value)}
        />
        <p id="notes-count" class={`hint counter${remaining < 50 ? ' counter-low' : ''}`} aria-live={remaining < 50 ? 'polite' : 'off'}>
          {formatNumber(notes.length)} / {formatNumber(NOTES_MAX)} Zeichen
        </p>
      </div>
      <ProblemNotice problem={problem} />
      <Button type="submit" variant="primary" busy={busy} busyLabel="Wird gesendet …" disabled={!pickers.data}>
        Generieren
      </Button>
    </form>
  );
}
