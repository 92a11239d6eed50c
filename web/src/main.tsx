// The app: the frame every screen shares (header, banners, progress bar) and the routes.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './styles.css';
import { config } from './config';
import { getToken, onSessionChange, setToken } from './session';
import { here, navigate, useLocation } from './router';
import { onActivity } from './activity';
import { liveState, onLiveState, type LiveState } from './api/live';
import { useQuery } from './hooks';
import { MeDocument, LogoutDocument } from './gql/graphql';
import { request } from './api/client';
import { SignIn, Register } from './screens/account';
import { Settings } from './screens/settings';
import { Collections } from './screens/collections';
import { CollectionScreen } from './screens/collection';
import { ImageScreen } from './screens/image';
import { PromptScreen } from './screens/prompt';
import { AllPrompts } from './screens/all-prompts';
import { NotFound } from './screens/not-found';

export type Me = { id: string; email: string; hasGeminiApiKey: boolean; geminiApiKeyHint: string | null };

function useToken(): string | null {
  const [token, setTokenState] = useState(getToken());
  useEffect(
    () =>
      onSessionChange((next, why) => {
        setTokenState(next);
        if (next === null) {
          const path = location.pathname;
          const public_ = path === '/anmelden' || path === '/registrieren';
          if (why === 'expired' && !public_) {
            navigate(`/anmelden?abgelaufen=1&weiter=${encodeURIComponent(here())}`, { replace: true });
          } else if (!public_) {
            navigate('/anmelden', { replace: true });
          }
        } else if (why === 'other-tab' && (location.pathname === '/anmelden' || location.pathname === '/registrieren')) {
          // Signed in in another tab: this one goes on where it was too.
          const target = new URLSearchParams(location.search).get('weiter');
          navigate(target && target.startsWith('/') && !target.startsWith('//') ? target : '/sammlungen', { replace: true });
        }
      }),
    [],
  );
  return token;
}

function ProgressBar() {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    let timer: number | undefined;
    return onActivity((busy) => {
      clearTimeout(timer);
      // Only requests that take a moment show it, so fast ones do not flicker.
      if (busy) timer = window.setTimeout(() => setVisible(true), 250);
      else setVisible(false);
    });
  }, []);
  return visible ? <div class="progress-bar" role="progressbar" aria-label="Wird geladen" /> : null;
}

function ConnectionBanner() {
  const [state, setState] = useState<LiveState>(liveState());
  const [shown, setShown] = useState(false);
  useEffect(() => onLiveState(setState), []);
  useEffect(() => {
    if (state !== 'reconnecting') {
      setShown(false);
      return;
    }
    const timer = setTimeout(() => setShown(true), 800);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <div role="status" aria-live="polite" class={shown ? 'banner banner-warning' : 'visually-hidden'}>
      {shown ? 'Die Verbindung zum Server ist unterbrochen – sie wird wiederhergestellt …' : ''}
    </div>
  );
}

function Header({ me, signedIn }: { me: Me | null; signedIn: boolean }) {
  const [busy, setBusy] = useState(false);
  const { path } = useLocation();
  const current = (prefix: string) => (path === prefix || path.startsWith(`${prefix}/`) ? 'page' : undefined);
  const signOut = async () => {
    setBusy(true);
    try {
      await request(LogoutDocument);
    } catch {
      // Signed out here all the same: the token is forgotten below.
    }
    setBusy(false);
    setToken(null, 'signed-out');
  };
  return (
    <header class="site-header">
      <div class="site-header-inner">
        <a class="brand" href={signedIn ? '/sammlungen' : '/anmelden'}>
          <span class="brand-mark" aria-hidden="true">▶</span> videoprompt
        </a>
        {signedIn && (
          <nav aria-label="Hauptnavigation" class="main-nav">
            <a href="/sammlungen" aria-current={current('/sammlungen')}>Sammlungen</a>
            <a href="/prompts" aria-current={current('/prompts')}>Prompts</a>
            <a href="/einstellungen" aria-current={current('/einstellungen')}>Einstellungen</a>
          </nav>
        )}
      </div>
      {signedIn && (
        <p class="signed-in-as">
          {me && <span>Angemeldet als {me.email}</span>}
          <button type="button" class="button-link sign-out" onClick={signOut} aria-busy={busy ? 'true' : undefined}>
            {busy ? 'Abmelden …' : 'Abmelden'}
          </button>
        </p>
      )}
    </header>
  );
}

function Routes({ me, refetchMe }: { me: Me | null; refetchMe: () => void }) {
  const { path, search } = useLocation();
  const signedIn = getToken() !== null;
  let match: RegExpMatchArray | null;

  useEffect(() => {
    const public_ = path === '/anmelden' || path === '/registrieren';
    if (path === '/') navigate(signedIn ? '/sammlungen' : '/anmelden', { replace: true });
    else if (!signedIn && !public_) navigate(`/anmelden?weiter=${encodeURIComponent(here())}`, { replace: true });
    else if (signedIn && public_) navigate(search.get('weiter') || '/sammlungen', { replace: true });
  }, [path, signedIn]);

  if (path === '/anmelden') return <SignIn search={search} />;
  if (path === '/registrieren') return <Register />;
  if (!signedIn || path === '/') return null;
  if (path === '/einstellungen') return <Settings me={me} refetchMe={refetchMe} />;
  if (path === '/sammlungen') return <Collections />;
  if ((match = path.match(/^\/sammlungen\/([^/]+)$/))) return <CollectionScreen key={match[1]} id={decodeURIComponent(match[1]!)} />;
  if ((match = path.match(/^\/bilder\/([^/]+)$/))) return <ImageScreen key={match[1]} id={decodeURIComponent(match[1]!)} me={me} />;
  if (path === '/prompts') return <AllPrompts />;
  if ((match = path.match(/^\/prompts\/([^/]+)$/))) return <PromptScreen key={match[1]} id={decodeURIComponent(match[1]!)} />;
  return <NotFound />;
}

function App() {
  const token = useToken();
  const meQuery = useQuery(MeDocument, {}, ['me'], token !== null);
  const me = token !== null ? (meQuery.data?.me ?? null) : null;
  // Another account signed in (in another tab): read who it is.
  const { refetch: refetchMe } = meQuery;
  const previousToken = useRef(token);
  useEffect(() => {
    if (token !== null && previousToken.current !== null && previousToken.current !== token) refetchMe();
    previousToken.current = token;
  }, [token, refetchMe]);

  // A token the server no longer knows answers `me: null`: the session is over.
  useEffect(() => {
    if (token !== null && meQuery.data && meQuery.data.me === null) {
      setToken(null, 'expired');
    }
  }, [meQuery.data, token]);

  return (
    <>
      <a class="skip-link" href="#inhalt" onClick={(e) => { e.preventDefault(); document.getElementById('inhalt')?.focus(); }}>
        Zum Inhalt springen
      </a>
      <ProgressBar />
      {config.demo && (
        <div class="banner banner-demo" role="note">
          <strong>Demo:</strong> Die Antworten kommen von einem lokalen Platzhalter, nicht von Google Gemini.
        </div>
      )}
      <ConnectionBanner />
      <Header me={me} signedIn={token !== null} />
      <main id="inhalt" tabIndex={-1} class="content">
        <Routes me={me} refetchMe={meQuery.refetch} />
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
