import { useState } from 'preact/hooks';

import { ErrorNote } from '../components/error-note.js';

export interface SignInProps {
  onSignIn: (token: string) => Promise<void>;
  /** Why the last session ended (a refused token), or why a sign-in link failed. */
  notice: string | undefined;
}

/** The token form: an admin token or a subject token, checked against the API before it is kept. */
export function SignIn({ onSignIn, notice }: SignInProps) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <main class="sign-in">
      <h1>FunLess console</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          setError(undefined);
          onSignIn(token.trim())
            .catch((e: unknown) => setError(e))
            .finally(() => setBusy(false));
        }}
      >
        <label for="token">Token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <p class="hint">
          An admin or subject token (<code>$FL_DATA_DIR/tokens</code>, or what the admin gave you). It is kept
          in this tab only, until you sign out or close it. <code>fl ui</code> prints a one-time sign-in link
          instead.
        </p>
        <button type="submit" disabled={busy || token.trim() === ''}>
          Sign in
        </button>
      </form>
      {notice !== undefined && <p class="notice">{notice}</p>}
      <ErrorNote error={error} />
    </main>
  );
}
