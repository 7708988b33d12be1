import { useEffect, useMemo, useState } from 'preact/hooks';

import { ApiClient } from './api/client.js';
import { Console } from './components/context.js';
import { ActivationsPage } from './pages/activations.js';
import { AdminPage } from './pages/admin.js';
import { FunctionsPage } from './pages/functions.js';
import { InvokePage } from './pages/invoke.js';
import { OverviewPage } from './pages/overview.js';
import { ScriptsPage } from './pages/scripts.js';
import { SignIn } from './pages/sign-in.js';
import { checkToken, forgetToken, storedToken, storeToken, tokenFromLink } from './session.js';
import type { Identity } from './session.js';

/** The pages, in the order of the navigation; the address is `#/<id>[/<more>]`. */
const PAGES = [
  { id: 'overview', title: 'Overview', admin: false },
  { id: 'functions', title: 'Functions', admin: false },
  { id: 'invoke', title: 'Invoke', admin: false },
  { id: 'activations', title: 'Activations', admin: false },
  { id: 'scripts', title: 'APP scripts', admin: false },
  { id: 'admin', title: 'Admin', admin: true },
] as const;

type PageId = (typeof PAGES)[number]['id'];

/** The page and the rest of the address (`#/activations/<id>` → activations, [id]). */
function route(): { page: PageId; rest: string[] } {
  // The query (`#/activations?module=m`) is the page's own: its filters.
  const path = location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  const [first, ...rest] = path.split('/').map(decodeURIComponent);
  const page = PAGES.find((p) => p.id === first)?.id ?? 'overview';
  return { page, rest };
}

export function App() {
  const [identity, setIdentity] = useState<Identity | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [starting, setStarting] = useState(true);
  const [where, setWhere] = useState(route);

  const signIn = async (token: string): Promise<void> => {
    const checked = await checkToken(token);
    storeToken(token);
    setNotice(undefined);
    setIdentity(checked);
  };
  const signOut = (why?: string): void => {
    forgetToken();
    setIdentity(undefined);
    setNotice(why);
  };

  // A sign-in link, at the first load or opened in a tab that already shows the console.
  const start = async (): Promise<void> => {
    try {
      const fromLink = await tokenFromLink();
      const token = fromLink ?? storedToken();
      if (token !== undefined) await signIn(token);
    } catch (error) {
      forgetToken();
      setIdentity(undefined);
      setNotice(`Not signed in: ${(error as Error).message}`);
    } finally {
      setStarting(false);
    }
  };

  useEffect(() => {
    const onHash = (): void => {
      if (location.hash.startsWith('#code=')) void start();
      else setWhere(route());
    };
    addEventListener('hashchange', onHash);
    void start();
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const context = useMemo(
    () =>
      identity === undefined
        ? undefined
        : {
            admin: identity.admin,
            api: new ApiClient(identity.token, (detail) =>
              signOut(`Signed out: the API refused the token (${detail})`),
            ),
          },
    [identity],
  );

  if (starting) return <p class="loading">Loading…</p>;
  if (context === undefined) return <SignIn onSignIn={signIn} notice={notice} />;
  const pages = PAGES.filter((p) => !p.admin || context.admin);
  const page = pages.find((p) => p.id === where.page) ?? PAGES[0];
  return (
    <Console.Provider value={context}>
      <header class="top">
        <a class="brand" href="#/overview">
          FunLess
        </a>
        <nav aria-label="Pages">
          {pages.map((p) => (
            <a key={p.id} href={`#/${p.id}`} aria-current={p.id === page.id ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <span class="who">{context.admin ? 'admin' : 'subject'}</span>
        <button type="button" onClick={() => signOut('Signed out.')}>
          Sign out
        </button>
      </header>
      <main id="page" class={`page page-${page.id}`}>
        <h1>{page.title}</h1>
        {page.id === 'overview' && <OverviewPage />}
        {page.id === 'functions' && <FunctionsPage />}
        {page.id === 'invoke' && <InvokePage target={where.rest} />}
        {page.id === 'activations' && <ActivationsPage selected={where.rest[0]} />}
        {page.id === 'scripts' && <ScriptsPage selected={where.rest[0]} />}
        {page.id === 'admin' && <AdminPage />}
      </main>
    </Console.Provider>
  );
}
