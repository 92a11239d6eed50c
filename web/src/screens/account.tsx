// Registrieren and Anmelden.
import { useState } from 'preact/hooks';
import { request } from '../api/client';
import { LoginDocument, RegisterDocument } from '../gql/graphql';
import { setToken } from '../session';
import { navigate } from '../router';
import { describeError, type Problem } from '../errors';
import { useHeadingFocus, useTitle } from '../hooks';
import { Button, InfoNotice, ProblemNotice } from '../ui';

/** Only paths inside the app are followed after signing in (no open redirect). */
function safeReturn(target: string | null): string {
  if (!target || !target.startsWith('/') || target.startsWith('//')) return '/sammlungen';
  if (target.startsWith('/anmelden') || target.startsWith('/registrieren')) return '/sammlungen';
  return target;
}

export function SignIn({ search }: { search: URLSearchParams }) {
  useTitle('Anmelden');
  const heading = useHeadingFocus();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const expired = search.get('abgelaufen') === '1';
  const target = safeReturn(search.get('weiter'));

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const result = await request(LoginDocument, { input: { email, password } });
      setToken(result.login.token, 'signed-in');
      navigate(target, { replace: true });
    } catch (err) {
      setProblem(describeError(err, 'sign-in'));
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <h1 tabIndex={-1} ref={heading}>Anmelden</h1>
      {expired && (
        <InfoNotice>
          <p>Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an – danach geht es dort weiter, wo Sie waren.</p>
        </InfoNotice>
      )}
      <ProblemNotice problem={problem} />
      <form class="card form" onSubmit={submit} noValidate>
        <div class="field">
          <label for="signin-email">E-Mail-Adresse</label>
          <input id="signin-email" type="email" autocomplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="signin-password">Passwort</label>
          <input id="signin-password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </div>
        <Button type="submit" variant="primary" busy={busy} busyLabel="Anmeldung läuft …">
          Anmelden
        </Button>
      </form>
      <p>
        Noch kein Konto? <a href={`/registrieren${search.get('weiter') ? `?weiter=${encodeURIComponent(target)}` : ''}`}>Jetzt registrieren</a>
      </p>
    </section>
  );
}

export function Register() {
  useTitle('Registrieren');
  const heading = useHeadingFocus();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (password.length < 10) {
      setProblem({ message: 'Das Passwort muss mindestens 10 Zeichen lang sein.' });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const result = await request(RegisterDocument, { input: { email, password } });
      setToken(result.register.token, 'signed-in');
      navigate('/einstellungen?willkommen=1', { replace: true });
    } catch (err) {
      setProblem(describeError(err, 'register'));
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <h1 tabIndex={-1} ref={heading}>Registrieren</h1>
      <p class="lead">
        Laden Sie Bilder hoch und lassen Sie Google Gemini daraus deutsche Prompts für Videogeneratoren wie Veo, Kling, Runway oder Sora schreiben.
      </p>
      <ProblemNotice problem={problem} />
      <form class="card form" onSubmit={submit} noValidate>
        <div class="field">
          <label for="register-email">E-Mail-Adresse</label>
          <input id="register-email" type="email" autocomplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="register-password">Passwort</label>
          <input
            id="register-password"
            type="password"
            autocomplete="new-password"
            required
            minLength={10}
            maxLength={1024}
            aria-describedby="register-password-hint"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <p id="register-password-hint" class="hint">Mindestens 10 Zeichen.</p>
        </div>
        <Button type="submit" variant="primary" busy={busy} busyLabel="Konto wird angelegt …">
          Konto anlegen
        </Button>
      </form>
      <p>
        Schon ein Konto? <a href="/anmelden">Anmelden</a>
      </p>
    </section>
  );
}
