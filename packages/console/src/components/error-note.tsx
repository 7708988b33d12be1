import { ApiError } from '../api/client.js';

/** An error as the API worded it, with its status; nothing when there is none. */
export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const status = error instanceof ApiError && error.status > 0 ? `${error.status}: ` : '';
  return (
    <p class="error" role="alert">
      {status}
      {error instanceof Error ? error.message : JSON.stringify(error)}
    </p>
  );
}
