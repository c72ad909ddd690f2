import './styles.css';
import { render, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, whenSignedOut } from './api.js';
import { IdentityContext, isAdmin, isOperator, type Identity } from './identity.js';
import { match, navigate, useLocation } from './router.js';
import { currentKey, signOut } from './session.js';
import { Link, Loading, ErrorNote } from './ui/components.js';
import { SignInPage } from './pages/sign-in.js';
import { NotFoundPage } from './pages/not-found.js';
import { SpacesPage } from './pages/spaces.js';
import { SpacePage } from './pages/space.js';
import { MemoriesPage } from './pages/memories.js';
import { MemoryPage } from './pages/memory.js';
import { SearchPage } from './pages/search.js';
import { AuditPage } from './pages/audit.js';
import { LivePage } from './pages/live.js';
import { SharesPage } from './pages/shares.js';
import { KeysPage } from './pages/keys.js';
import { OperatorsPage } from './pages/operators.js';

/** The console's pages by path; parameters arrive decoded. */
const ROUTES: { pattern: string; page(params: Record<string, string>): JSX.Element }[] = [
  { pattern: '/spaces', page: () => <SpacesPage /> },
  { pattern: '/spaces/:space', page: (p) => <SpacePage space={p['space']!} /> },
  { pattern: '/spaces/:space/memories', page: (p) => <MemoriesPage space={p['space']!} /> },
  { pattern: '/spaces/:space/memories/:id', page: (p) => <MemoryPage space={p['space']!} id={p['id']!} /> },
  { pattern: '/spaces/:space/search', page: (p) => <SearchPage space={p['space']!} /> },
  { pattern: '/spaces/:space/audit', page: (p) => <AuditPage space={p['space']!} /> },
  { pattern: '/spaces/:space/live', page: (p) => <LivePage space={p['space']!} /> },
  { pattern: '/spaces/:space/shares', page: (p) => <SharesPage space={p['space']!} /> },
  { pattern: '/keys', page: () => <KeysPage /> },
  { pattern: '/operators', page: () => <OperatorsPage /> },
];

function App(): JSX.Element {
  const { path } = useLocation();
  const [identity, setIdentity] = useState<Identity | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [signedIn, setSignedIn] = useState(currentKey() !== null);

  useEffect(() => {
    whenSignedOut(() => {
      setIdentity(null);
      setSignedIn(false);
    });
  }, []);
  useEffect(() => {
    if (!signedIn) return;
    setError(undefined);
    api<Identity>('GET', '/v1/whoami').then(setIdentity, setError);
  }, [signedIn]);

  if (!signedIn) return <SignInPage onSignedIn={() => setSignedIn(true)} />;
  if (identity === null) {
    return (
      <main id="main" data-ready="false">
        {error === undefined ? <Loading /> : <ErrorNote error={error} />}
      </main>
    );
  }
  if (path === '/' || path === '/signin') {
    navigate('/spaces', { replace: true });
    return <Loading />;
  }
  const route = ROUTES.map((r) => ({ r, params: match(r.pattern, path) })).find((x) => x.params !== null);
  return (
    <IdentityContext.Provider value={identity}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link to="/spaces" class="brand">
          memspace
        </Link>
        <nav aria-label="Console">
          <Link to="/spaces" current={path.startsWith('/spaces')}>
            Spaces
          </Link>
          {isAdmin(identity) && (
            <Link to="/keys" current={path === '/keys'}>
              Keys
            </Link>
          )}
          {isOperator(identity) && (
            <Link to="/operators" current={path === '/operators'}>
              Operators
            </Link>
          )}
        </nav>
        <div class="who">
          <span title="The signed-in key">{identity.name}</span>
          <button
            type="button"
            onClick={() => {
              signOut();
              setIdentity(null);
              setSignedIn(false);
              navigate('/signin', { replace: true });
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      {route === undefined ? <NotFoundPage /> : route.r.page(route.params!)}
    </IdentityContext.Provider>
  );
}

// A key must never be in a URL: a link someone pasted with one is cleaned before anything else.
if (/[?&](key|api_key|token)=/i.test(window.location.search)) history.replaceState(null, '', window.location.pathname);
render(<App />, document.getElementById('app')!);
