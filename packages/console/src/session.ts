/**
 * The signed-in token, kept in sessionStorage only: it lives as long as the browser tab and is
 * never written anywhere else (docs/console.md, "Signing in").
 */
const KEY = 'funless.token';

/** Longest wait for the API while signing in. */
const SIGN_IN_TIMEOUT_MS = 30_000;

export function storedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** What `GET /v1/fn` (any role) and `GET /v1/admin/subjects` (admin only) say about a token. */
export interface Identity {
  token: string;
  admin: boolean;
}

/** Checks a token against the API: throws the API's refusal, else says whether it is the admin's. */
export async function checkToken(token: string): Promise<Identity> {
  const headers = { authorization: `Bearer ${token}` };
  const signal = AbortSignal.timeout(SIGN_IN_TIMEOUT_MS);
  const probe = await fetch('/v1/fn', { headers, signal });
  if (!probe.ok) {
    const body = (await probe.json().catch(() => undefined)) as { errors?: { detail?: string } } | undefined;
    throw new Error(body?.errors?.detail ?? `${probe.status} ${probe.statusText}`);
  }
  const admin = await fetch('/v1/admin/subjects', { headers, signal });
  return { token, admin: admin.ok };
}

/**
 * A one-time sign-in link (`fl ui`) carries a code in the URL fragment, which the browser never
 * sends to a server: exchanged once for the token over the public API, then removed from the
 * address bar and from this tab's history.
 */
export async function tokenFromLink(): Promise<string | undefined> {
  const match = /^#code=([\w-]+)$/.exec(location.hash);
  if (!match) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  const answer = await fetch('/v1/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: match[1] }),
    signal: AbortSignal.timeout(SIGN_IN_TIMEOUT_MS),
  });
  const body = (await answer.json().catch(() => undefined)) as
    { data?: { token?: string }; errors?: { detail?: string } } | undefined;
  if (!answer.ok || typeof body?.data?.token !== 'string') {
    throw new Error(body?.errors?.detail ?? `${answer.status} ${answer.statusText}`);
  }
  return body.data.token;
}
