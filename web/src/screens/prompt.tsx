// Live: one request as it moves (Wartet → Läuft → Fertig | Fehlgeschlagen | Abgebrochen), the
// German prompt growing while Gemini writes it, then its details, model and token usage;
// Abbrechen, Erneut versuchen, Kopieren.
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../api/client';
import { subscribe } from '../api/live';
import {
  CancelVideoPromptDocument,
  PromptUpdatedDocument,
  RetryVideoPromptDocument,
  VideoPromptDocument,
  type PromptDetailFieldsFragment,
} from '../gql/graphql';
import { changed } from '../bus';
import { describeError, describeFailure, describeRetryWait, type Problem } from '../errors';
import { formatDate, formatNumber } from '../format';
import { useHeadingFocus, useQuery, useTitle } from '../hooks';
import { navigate } from '../router';
import { Button, Loading, ProblemNotice, STATUS_LABEL, StatusBadge, Thumb, isRunning, progressOf } from '../ui';
import { usePickers } from './pickers';

export function PromptScreen({ id }: { id: string }) {
  useTitle('Prompt');
  const heading = useHeadingFocus();
  // 'collections' too: the breadcrumbs name the collection and the image, which another tab may
  // rename or delete.
  const query = useQuery(VideoPromptDocument, { id }, [`prompt:${id}`, 'collections']);
  const [live, setLive] = useState<PromptDetailFieldsFragment | null>(null);
  const pickers = usePickers();

  // The subscription's first event is the record as it is now, then every change; after a
  // reconnection graphql-ws subscribes again and the first event again tells the truth.
  useEffect(() => {
    setLive(null);
    return subscribe(PromptUpdatedDocument, { id }, { next: (data) => setLive(data.videoPromptUpdated) });
  }, [id]);

  // What is newest wins: the live record once it is there, unless a later read is further on.
  const fromQuery = query.data?.videoPrompt ?? null;
  const record: PromptDetailFieldsFragment | null =
    live && fromQuery ? (progressOf(fromQuery.status) > progressOf(live.status) ? fromQuery : live) : (live ?? fromQuery);
  const image = fromQuery?.image ?? null;

  // When the record finishes, other screens (the image's history, the list) read again.
  const status = record?.status;
  const imageId = image?.id;
  useEffect(() => {
    if (status && !isRunning(status) && imageId) changed(`image:${imageId}`, 'prompts');
  }, [status, imageId]);

  if (query.loading && !query.data) return <Loading />;
  if (query.error && !query.data) return <ProblemNotice problem={describeError(query.error)} />;
  if (!record || !fromQuery || !image) {
    return (
      <section>
        <h1 tabIndex={-1} ref={heading}>Prompt nicht gefunden</h1>
        <p>Diesen Prompt gibt es nicht (mehr). Vielleicht wurde das Bild gelöscht.</p>
        <p><a href="/sammlungen">Zu den Sammlungen</a></p>
      </section>
    );
  }

  return (
    <section>
      <nav aria-label="Brotkrumen" class="breadcrumbs">
        <a href="/sammlungen">Sammlungen</a> <span aria-hidden="true">›</span>{' '}
        <a href={`/sammlungen/${image.collection.id}`}>{image.collection.name}</a> <span aria-hidden="true">›</span>{' '}
        <a href={`/bilder/${image.id}`}>{image.fileName}</a> <span aria-hidden="true">›</span>{' '}
        <span aria-current="page">Prompt</span>
      </nav>
      <div class="prompt-layout">
        <div>
          <h1 tabIndex={-1} ref={heading}>
            Prompt <StatusBadge status={record.status} />
          </h1>
          {/* Screen readers hear each change of state once, not every new word. */}
          <p class="visually-hidden" role="status" aria-live="polite">
            Status: {STATUS_LABEL[record.status]}
          </p>
          <p class="meta">
            {pickers.cameraLabel(record.cameraStyle)} · {pickers.effectLabel(record.filmEffect)} · angefragt am {formatDate(record.createdAt)}
          </p>
          {record.notes && <p class="meta">Hinweise: {record.notes}</p>}
          <PromptBody record={record} />
          <Actions record={record} imageId={image.id} />
        </div>
        <figure class="card prompt-image">
          <Thumb class="image-large" src={image.url} alt={`Bild: ${image.fileName}`} width={image.width} height={image.height} onExpired={query.refetch} />
          <figcaption class="meta">{image.fileName}</figcaption>
        </figure>
      </div>
    </section>
  );
}

function PromptBody({ record }: { record: PromptDetailFieldsFragment }) {
  const problem = record.status === 'FAILED' ? describeFailure(record.errorCode) : null;
  return (
    <>
      {record.status === 'PENDING' && (
        <p class="waiting">
          <span class="spinner" aria-hidden="true" />{' '}
          {record.errorCode ? describeRetryWait(record.errorCode) : 'Die Anfrage wartet darauf, dass Gemini sie bearbeitet …'}
        </p>
      )}
      {record.status === 'CANCELLED' && <p class="waiting">Diese Anfrage wurde abgebrochen.</p>}
      {problem && <ProblemNotice problem={problem} />}
      {(record.prompt || record.status === 'PROCESSING') && (
        <div class="card prompt-text-card">
          <h2 class="small-heading">Prompt</h2>
          {!record.prompt && <p class="waiting">Gemini sieht sich das Bild an und beginnt gleich zu schreiben …</p>}
          <p class={`prompt-text${record.status === 'PROCESSING' ? ' is-writing' : ''}`} data-testid="prompt-text">
            {record.prompt ?? ''}
          </p>
        </div>
      )}
      {record.status === 'COMPLETED' && record.details && (
        <dl class="card details">
          <dt>Szene</dt>
          <dd>{record.details.scene}</dd>
          <dt>Kamera</dt>
          <dd>{record.details.camera}</dd>
          <dt>Licht</dt>
          <dd>{record.details.lighting}</dd>
          <dt>Stimmung</dt>
          <dd>{record.details.mood}</dd>
          <dt>Effekte</dt>
          <dd>{record.details.effects}</dd>
        </dl>
      )}
      {record.status === 'COMPLETED' && (
        <p class="meta usage">
          {record.model ? <>Modell: {record.model}</> : null}
          {record.promptTokens !== null || record.outputTokens !== null ? (
            <>
              {' · '}Tokens: {formatNumber(record.promptTokens ?? 0)} Eingabe, {formatNumber(record.outputTokens ?? 0)} Ausgabe
            </>
          ) : null}
          {record.completedAt ? <> · fertig am {formatDate(record.completedAt)}</> : null}
          {record.attempts > 1 ? <> · {formatNumber(record.attempts)} Versuche</> : null}
        </p>
      )}
    </>
  );
}

function Actions({ record, imageId }: { record: PromptDetailFieldsFragment; imageId: string }) {
  const [busy, setBusy] = useState<'cancel' | 'retry' | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [copied, setCopied] = useState('');
  const copiedTimer = useRef<number | undefined>(undefined);
  const actions = useRef<HTMLDivElement>(null);
  const cancelPressed = useRef(false);

  // Abbrechen goes once the request has stopped, and the focus with it: the focus moves on to
  // what can be done now (Erneut versuchen, or Kopieren if Gemini finished first) instead of
  // being lost.
  useEffect(() => {
    if (!cancelPressed.current || isRunning(record.status)) return;
    cancelPressed.current = false;
    if (document.activeElement === document.body || document.activeElement === null) {
      actions.current?.querySelector<HTMLElement>('button, a')?.focus();
    }
  }, [record.status]);

  const cancel = async () => {
    cancelPressed.current = true;
    setBusy('cancel');
    setProblem(null);
    try {
      await request(CancelVideoPromptDocument, { id: record.id });
      changed(`image:${imageId}`, 'prompts');
    } catch (err) {
      setProblem(describeError(err, 'cancel'));
    } finally {
      setBusy(null);
    }
  };

  const retry = async () => {
    setBusy('retry');
    setProblem(null);
    try {
      const result = await request(RetryVideoPromptDocument, { id: record.id });
      changed(`image:${imageId}`, 'prompts');
      navigate(`/prompts/${result.retryVideoPrompt.id}`);
    } catch (err) {
      setProblem(describeError(err, 'retry'));
      setBusy(null);
    }
  };

  const copy = async () => {
    const text = record.prompt ?? '';
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      ok = copyByHand(text);
    }
    setCopied(ok ? 'Der Prompt ist in der Zwischenablage.' : 'Kopieren ging nicht – bitte markieren Sie den Text und kopieren Sie ihn selbst.');
    clearTimeout(copiedTimer.current);
    copiedTimer.current = window.setTimeout(() => setCopied(''), 4000);
  };

  return (
    <>
      <div class="actions" ref={actions}>
        {isRunning(record.status) && (
          <Button variant="danger" busy={busy === 'cancel'} busyLabel="Wird abgebrochen …" onClick={cancel}>
            Abbrechen
          </Button>
        )}
        {(record.status === 'FAILED' || record.status === 'CANCELLED') && (
          <Button variant="primary" busy={busy === 'retry'} busyLabel="Wird gesendet …" onClick={retry}>
            Erneut versuchen
          </Button>
        )}
        {record.status === 'COMPLETED' && record.prompt && (
          <Button variant="primary" onClick={copy}>
            Kopieren
          </Button>
        )}
        <a class="button button-secondary" href={`/bilder/${imageId}`}>
          Zurück zum Bild
        </a>
      </div>
      <p role="status" aria-live="polite" class="copied">{copied}</p>
      <ProblemNotice problem={problem} />
    </>
  );
}

/** Copying where the Clipboard API is not allowed (a page served over plain http from another
 * machine is not a secure context). */
function copyByHand(text: string): boolean {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'visually-hidden';
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}
