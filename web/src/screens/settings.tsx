// Einstellungen: the Gemini API key (set, replace, remove; only its hint is ever shown).
import { useRef, useState } from 'preact/hooks';
import { request } from '../api/client';
import { ClearGeminiApiKeyDocument, SetGeminiApiKeyDocument } from '../gql/graphql';
import { changed } from '../bus';
import { config } from '../config';
import { describeError, type Problem } from '../errors';
import { useHeadingFocus, useTitle } from '../hooks';
import { useLocation } from '../router';
import { Button, ConfirmDialog, InfoNotice, Loading, ProblemNotice } from '../ui';
import type { Me } from '../main';

export function Settings({ me, refetchMe }: { me: Me | null; refetchMe: () => void }) {
  useTitle('Einstellungen');
  const heading = useHeadingFocus();
  const { search } = useLocation();
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState<'save' | 'clear' | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const field = useRef<HTMLInputElement>(null);

  const save = async (event: Event) => {
    event.preventDefault();
    if (key.trim() === '') {
      setProblem({ message: 'Bitte geben Sie einen Schlüssel ein.' });
      return;
    }
    setBusy('save');
    setProblem(null);
    setSaved(null);
    try {
      await request(SetGeminiApiKeyDocument, { apiKey: key });
      setKey('');
      setSaved('Der Schlüssel ist gespeichert.');
      changed('me');
      refetchMe();
    } catch (err) {
      setProblem(describeError(err, 'api-key'));
    } finally {
      setBusy(null);
    }
  };

  const clear = async () => {
    setBusy('clear');
    setProblem(null);
    setSaved(null);
    try {
      await request(ClearGeminiApiKeyDocument);
      setConfirming(false);
      setSaved('Der Schlüssel ist entfernt.');
      changed('me');
      refetchMe();
      // "Schlüssel entfernen", where the closing dialog gives the focus back, goes with the key:
      // the focus moves on to the field for a new one instead of being lost.
      setTimeout(() => field.current?.focus());
    } catch (err) {
      setConfirming(false);
      setProblem(describeError(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="narrow">
      <h1 tabIndex={-1} ref={heading}>Einstellungen</h1>
      {search.get('willkommen') === '1' && !me?.hasGeminiApiKey && (
        <InfoNotice>
          <p>Willkommen! Hinterlegen Sie zuerst Ihren Gemini-API-Schlüssel – danach können Sie Sammlungen anlegen und Bilder hochladen.</p>
        </InfoNotice>
      )}
      <div class="card">
        <h2>Gemini-API-Schlüssel</h2>
        {me === null ? (
          <Loading />
        ) : me.hasGeminiApiKey ? (
          <p class="key-state" data-testid="key-state">
            Ein Schlüssel ist hinterlegt
            {me.geminiApiKeyHint ? (
              <>
                {' '}(endet auf <span class="mono">…{me.geminiApiKeyHint}</span>)
              </>
            ) : null}
            . Er wird verschlüsselt gespeichert und nie wieder angezeigt.
          </p>
        ) : (
          <p class="key-state" data-testid="key-state">Es ist noch kein Schlüssel hinterlegt. Ohne ihn kann Gemini keine Prompts schreiben.</p>
        )}
        <div aria-live="polite" role="status" class="saved">{saved}</div>
        <ProblemNotice problem={problem} />
        <form class="form" onSubmit={save}>
          <div class="field">
            <label for="api-key">{me?.hasGeminiApiKey ? 'Neuer Schlüssel' : 'Schlüssel'}</label>
            <input
              id="api-key"
              ref={field}
              type="password"
              autocomplete="off"
              spellcheck={false}
              maxLength={256}
              aria-describedby="api-key-hint"
              value={key}
              onInput={(e) => setKey(e.currentTarget.value)}
            />
            <p id="api-key-hint" class="hint">
              {config.demo ? (
                <>
                  In der Demo funktioniert jeder Schlüssel, zum Beispiel „demo“. Mit „fault:slow:20000“ braucht der Platzhalter
                  20 Sekunden (Zeit zum Abbrechen); „fault:blocked“ zeigt eine blockierte Anfrage.{' '}
                </>
              ) : null}
              Einen Schlüssel erstellen Sie kostenlos im{' '}
              <a href="https://aistudio.google.com/apikey" target="_blank" rel="noopener noreferrer">
                Google AI Studio<span class="visually-hidden"> (öffnet in einem neuen Fenster)</span>
              </a>
              .
            </p>
          </div>
          <div class="actions">
            <Button type="submit" variant="primary" busy={busy === 'save'} busyLabel="Wird gespeichert …">
              Schlüssel speichern
            </Button>
            {me?.hasGeminiApiKey && (
              <Button variant="danger" onClick={() => setConfirming(true)}>
                Schlüssel entfernen
              </Button>
            )}
          </div>
        </form>
      </div>
      <p>
        <a href="/sammlungen">Weiter zu den Sammlungen</a>
      </p>
      <ConfirmDialog
        open={confirming}
        title="Schlüssel entfernen?"
        confirmLabel="Schlüssel entfernen"
        busyLabel="Wird entfernt …"
        busy={busy === 'clear'}
        onConfirm={clear}
        onCancel={() => setConfirming(false)}
      >
        <p>Ohne Schlüssel kann Gemini keine neuen Prompts schreiben. Ihre Sammlungen, Bilder und bisherigen Prompts bleiben erhalten.</p>
      </ConfirmDialog>
    </section>
  );
}
