// One collection: its images (upload by drag and drop or the file picker, with progress and a
// German reason for each refused file), rename, delete.
import type { RefObject } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../api/client';
import { uploadImage, type UploadHandle } from '../api/upload';
import {
  CollectionDocument,
  DeleteCollectionDocument,
  DeleteImageDocument,
  ImageUrlDocument,
  RenameCollectionDocument,
  type CollectionQuery,
} from '../gql/graphql';
import { changed } from '../bus';
import { config } from '../config';
import { describeError, type Problem } from '../errors';
import { formatBytes, formatNumber } from '../format';
import { useHeadingFocus, useMorePages, useQuery, useTitle, type Page } from '../hooks';
import { navigate } from '../router';
import { Button, ConfirmDialog, Loading, ProblemNotice, Thumb } from '../ui';
import { ExportLinks } from './export';

const PAGE = 24;
type ImageNode = NonNullable<CollectionQuery['collection']>['images']['nodes'][number];
const select = (data: unknown): Page<ImageNode> | null => (data as CollectionQuery).collection?.images ?? null;
const ACCEPT = 'image/png,image/jpeg,image/webp,image/heic,image/heif,.heic,.heif';
/** Uploads at once: enough to keep a slow line busy, few enough that each shows progress. */
const PARALLEL = 2;

interface UploadItem {
  key: number;
  file: File;
  state: 'waiting' | 'uploading' | 'done' | 'refused';
  progress: number;
  problem: Problem | null;
}

export function CollectionScreen({ id }: { id: string }) {
  const query = useQuery(CollectionDocument, { id, first: PAGE }, ['collections', `collection:${id}`]);
  const collection = query.data?.collection ?? null;
  useTitle(collection?.name ?? 'Sammlung');
  const heading = useHeadingFocus();
  const imagesHeading = useRef<HTMLHeadingElement>(null);
  const more = useMorePages(
    CollectionDocument,
    useCallback((after: string, first: number) => ({ id, first, after }), [id]),
    select,
    query.data ? select(query.data) : null,
    PAGE,
  );

  if (query.loading && !query.data) return <Loading />;
  if (query.error && !query.data) return <ProblemNotice problem={describeError(query.error)} />;
  if (!collection) {
    return (
      <section>
        <h1 tabIndex={-1} ref={heading}>Sammlung nicht gefunden</h1>
        <p>Diese Sammlung gibt es nicht (mehr). Vielleicht wurde sie gelöscht.</p>
        <p><a href="/sammlungen">Zu den Sammlungen</a></p>
      </section>
    );
  }

  return (
    <section>
      <nav aria-label="Brotkrumen" class="breadcrumbs">
        <a href="/sammlungen">Sammlungen</a> <span aria-hidden="true">›</span> <span aria-current="page">{collection.name}</span>
      </nav>
      <CollectionHeader
        id={id}
        name={collection.name}
        headingRef={heading}
        imageCount={more.nodes.length}
        moreImages={more.hasMore}
      />
      <Uploader collectionId={id} onUploaded={() => query.refetch()} />
      <h2 tabIndex={-1} ref={imagesHeading}>Bilder</h2>
      {more.nodes.length === 0 ? (
        <p class="empty">Noch keine Bilder in dieser Sammlung.</p>
      ) : (
        <ul class="image-grid" aria-label="Bilder der Sammlung">
          {more.nodes.map((image) => (
            <ImageCard
              key={image.id}
              image={image}
              collectionId={id}
              onExpired={query.refetch}
              onDeleted={() => {
                query.refetch();
                // The card goes, and with it its Löschen button, where the closing dialog gives
                // the focus back: the focus moves to the images' heading instead of being lost.
                setTimeout(() => imagesHeading.current?.focus());
              }}
            />
          ))}
        </ul>
      )}
      {more.hasMore && (
        <Button onClick={more.loadMore} busy={more.loadingMore} busyLabel="Wird geladen …">
          Weitere Bilder laden
        </Button>
      )}
      <ExportLinks target={{ collectionId: id }} label="Prompts dieser Sammlung exportieren" />
    </section>
  );
}

function CollectionHeader({
  id,
  name,
  headingRef,
  imageCount,
  moreImages,
}: {
  id: string;
  name: string;
  headingRef: RefObject<HTMLHeadingElement | null>;
  imageCount: number;
  moreImages: boolean;
}) {
  const [renaming, setRenaming] = useState(false);
  const [draft, setDraft] = useState(name);
  const [busy, setBusy] = useState<'rename' | 'delete' | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [confirming, setConfirming] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const renameButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (renaming) input.current?.focus();
  }, [renaming]);

  const rename = async (event: Event) => {
    event.preventDefault();
    if (draft.trim() === '') {
      setProblem({ message: 'Der Name darf nicht leer sein.' });
      return;
    }
    setBusy('rename');
    setProblem(null);
    try {
      await request(RenameCollectionDocument, { id, name: draft });
      setRenaming(false);
      changed('collections', `collection:${id}`);
      // The form (and the focus on it) is gone: back to Umbenennen, as after Abbrechen.
      setTimeout(() => renameButton.current?.focus());
    } catch (err) {
      setProblem(describeError(err, 'collection-name'));
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    setBusy('delete');
    try {
      await request(DeleteCollectionDocument, { id });
      setConfirming(false);
      changed('collections', `collection:${id}`, 'prompts');
      navigate('/sammlungen', { replace: true });
    } catch (err) {
      setConfirming(false);
      setProblem(describeError(err));
      setBusy(null);
    }
  };

  const images =
    imageCount === 0
      ? 'Sie enthält keine Bilder.'
      : `Mit ihr werden ${moreImages ? 'mindestens ' : ''}${imageCount === 1 ? 'ein Bild' : `${formatNumber(imageCount)} Bilder`} und alle dazu geschriebenen Prompts endgültig gelöscht.`;

  // Back to the name and to Umbenennen, the draft dropped.
  const cancelRename = () => {
    setRenaming(false);
    setDraft(name);
    setProblem(null);
    setTimeout(() => renameButton.current?.focus());
  };

  return (
    <div class="page-header">
      {renaming ? (
        <form
          class="inline-form"
          onSubmit={rename}
          onKeyDown={(event) => {
            // Escape leaves the form as Abbrechen does.
            if (event.key === 'Escape') {
              event.preventDefault();
              cancelRename();
            }
          }}
        >
          <div class="field">
            <label for="rename-collection">Neuer Name</label>
            <input id="rename-collection" ref={input} type="text" maxLength={100} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          </div>
          <Button type="submit" variant="primary" busy={busy === 'rename'} busyLabel="Wird gespeichert …">
            Speichern
          </Button>
          <Button onClick={cancelRename}>Abbrechen</Button>
        </form>
      ) : (
        <>
          <h1 tabIndex={-1} ref={headingRef}>{name}</h1>
          <div class="actions">
            <button
              type="button"
              class="button button-secondary"
              ref={renameButton}
              onClick={() => {
                setDraft(name);
                setRenaming(true);
              }}
            >
              Umbenennen
            </button>
            <Button variant="danger" onClick={() => setConfirming(true)}>
              Sammlung löschen
            </Button>
          </div>
        </>
      )}
      <ProblemNotice problem={problem} />
      <ConfirmDialog
        open={confirming}
        title={`Sammlung „${name}“ löschen?`}
        confirmLabel="Endgültig löschen"
        busy={busy === 'delete'}
        onConfirm={remove}
        onCancel={() => setConfirming(false)}
      >
        <p>{images}</p>
        <p>Das lässt sich nicht rückgängig machen.</p>
      </ConfirmDialog>
    </div>
  );
}

function Uploader({ collectionId, onUploaded }: { collectionId: string; onUploaded: () => void }) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const [summary, setSummary] = useState('');
  const picker = useRef<HTMLInputElement>(null);
  const nextKey = useRef(1);
  const handles = useRef(new Map<number, UploadHandle>());

  const update = (key: number, patch: Partial<UploadItem>) =>
    setItems((old) => old.map((item) => (item.key === key ? { ...item, ...patch } : item)));

  // Starts waiting uploads while fewer than PARALLEL run.
  useEffect(() => {
    const running = items.filter((i) => i.state === 'uploading').length;
    const waiting = items.filter((i) => i.state === 'waiting').slice(0, Math.max(0, PARALLEL - running));
    for (const item of waiting) {
      update(item.key, { state: 'uploading', progress: 0 });
      const handle = uploadImage(collectionId, item.file, (fraction) => update(item.key, { progress: fraction }));
      handles.current.set(item.key, handle);
      handle.done
        .then(() => {
          update(item.key, { state: 'done', progress: 1 });
          changed(`collection:${collectionId}`, 'collections');
          onUploaded();
        })
        .catch((err: unknown) => update(item.key, { state: 'refused', problem: describeError(err, 'upload') }))
        .finally(() => handles.current.delete(item.key));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [items]);

  useEffect(() => () => handles.current.forEach((h) => h.abort()), []);

  // One sentence for screen readers once a batch is through.
  useEffect(() => {
    if (items.length === 0 || items.some((i) => i.state === 'waiting' || i.state === 'uploading')) return;
    const done = items.filter((i) => i.state === 'done').length;
    const refused = items.length - done;
    setSummary(
      `${formatNumber(done)} von ${formatNumber(items.length)} ${items.length === 1 ? 'Datei' : 'Dateien'} hochgeladen` +
        (refused > 0 ? `, ${formatNumber(refused)} abgelehnt.` : '.'),
    );
  }, [items]);

  const add = (files: FileList | File[]) => {
    const list = Array.from(files);
    if (list.length === 0) return;
    setSummary('');
    setItems((old) => [
      ...old.filter((i) => i.state === 'waiting' || i.state === 'uploading'),
      ...list.map((file): UploadItem => {
        const key = nextKey.current++;
        // Too big is known before sending a byte; everything else the server judges.
        if (config.uploadLimit !== null && file.size > config.uploadLimit) {
          return {
            key,
            file,
            state: 'refused',
            progress: 0,
            problem: { message: `Die Datei ist zu groß (${formatBytes(file.size)}): erlaubt sind höchstens ${formatBytes(config.uploadLimit)}.` },
          };
        }
        return { key, file, state: 'waiting', progress: 0, problem: null };
      }),
    ]);
  };

  return (
    <div class="card uploader">
      <h2 class="uploader-title">Bilder hochladen</h2>
      <div
        class={`dropzone${dragging ? ' is-dragging' : ''}`}
        data-testid="dropzone"
        onDragOver={(event) => {
          event.preventDefault();
          if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          if (event.dataTransfer?.files) add(event.dataTransfer.files);
        }}
      >
        <p>Bilder hierher ziehen oder</p>
        <button type="button" class="button button-primary" onClick={() => picker.current?.click()}>
          Dateien auswählen
        </button>
        <input
          ref={picker}
          id="file-picker"
          type="file"
          multiple
          accept={ACCEPT}
          // Out of sight and out of the accessibility tree: the button above opens it, and a
          // screen reader would otherwise offer a second, unreachable "button".
          hidden
          onChange={(event) => {
            const input = event.currentTarget;
            if (input.files) add(input.files);
            input.value = '';
          }}
        />
        <p class="hint">
          PNG, JPEG, WebP oder HEIC{config.uploadLimit !== null ? `, je Datei höchstens ${formatBytes(config.uploadLimit)}` : ''}. Mehrere auf einmal sind möglich.
        </p>
      </div>
      {items.length > 0 && (
        <ul class="upload-list" aria-label="Hochladen">
          {items.map((item) => (
            <li key={item.key} class={`upload-item upload-${item.state}`} data-file={item.file.name}>
              <span class="upload-name">{item.file.name}</span>
              {item.state === 'uploading' || item.state === 'waiting' ? (
                <>
                  <progress max={100} value={Math.round(item.progress * 100)} aria-label={`Fortschritt für ${item.file.name}`} />
                  <span class="upload-state">{item.state === 'waiting' ? 'Wartet …' : `${Math.round(item.progress * 100)} %`}</span>
                </>
              ) : item.state === 'done' ? (
                <span class="upload-state upload-ok">Hochgeladen</span>
              ) : (
                <span class="upload-state upload-refused">Abgelehnt: {item.problem?.message}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      <p role="status" aria-live="polite" class="visually-hidden">{summary}</p>
    </div>
  );
}

function ImageCard({
  image,
  collectionId,
  onExpired,
  onDeleted,
}: {
  image: ImageNode;
  collectionId: string;
  onExpired: () => void;
  onDeleted: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  // The card renews its own image's URL: the collection's query reads only its first page, so
  // refetching it would leave the cards of later pages with expired URLs.
  const [url, setUrl] = useState(image.url);
  useEffect(() => setUrl(image.url), [image.url]);
  const renewUrl = async () => {
    try {
      const data = await request(ImageUrlDocument, { id: image.id });
      if (data.image) setUrl(data.image.url);
      else onExpired();
    } catch {
      // Offline or signed out: the screen says so elsewhere; the box stays until then.
    }
  };
  const remove = async () => {
    setBusy(true);
    try {
      await request(DeleteImageDocument, { id: image.id });
      setConfirming(false);
      changed(`collection:${collectionId}`, 'collections', `image:${image.id}`, 'prompts');
      onDeleted();
    } catch (err) {
      setConfirming(false);
      setProblem(describeError(err));
      setBusy(false);
    }
  };
  return (
    <li class="card image-card">
      <a href={`/bilder/${image.id}`} class="image-link">
        <Thumb src={url} alt="" width={image.width} height={image.height} onExpired={renewUrl} />
        <span class="image-name">{image.fileName}</span>
      </a>
      <p class="meta">
        {image.width && image.height ? `${formatNumber(image.width)} × ${formatNumber(image.height)} Pixel · ` : ''}
        {formatBytes(image.byteSize)}
      </p>
      <div class="actions">
        <a class="button button-primary" href={`/bilder/${image.id}`} aria-label={`Prompt erstellen für ${image.fileName}`}>
          Prompt erstellen
        </a>
        <Button variant="danger" onClick={() => setConfirming(true)} aria-label={`${image.fileName} löschen`}>
          Löschen
        </Button>
      </div>
      <ProblemNotice problem={problem} />
      <ConfirmDialog
        open={confirming}
        title={`Bild „${image.fileName}“ löschen?`}
        confirmLabel="Endgültig löschen"
        busy={busy}
        onConfirm={remove}
        onCancel={() => setConfirming(false)}
      >
        <p>Mit dem Bild werden alle dafür geschriebenen Prompts gelöscht; laufende Anfragen werden abgebrochen.</p>
      </ConfirmDialog>
    </li>
  );
}
