import { useState } from 'preact/hooks';

import type { Schemas } from '../api/client.js';
import { ActivationView } from '../components/activation-view.js';
import { useConsole } from '../components/context.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../components/use-poll.js';

/** How often the newest page is read again. */
const LIST_POLL_MS = 3000;
const PAGE = 50;

type Summary = Schemas['ActivationSummary'];
interface Filters {
  module: string;
  function: string;
  status: string;
}

function filtersFromAddress(): Filters {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return {
    module: params.get('module') ?? '',
    function: params.get('function') ?? '',
    status: params.get('status') ?? '',
  };
}

function Detail({ id }: { id: string }) {
  const { api } = useConsole();
  const record = usePoll(
    async () => (await api.get<Schemas['Activation']>(`/v1/activations/${id}`)).data,
    LIST_POLL_MS,
    [id],
  );
  return (
    <section class="detail" aria-label={`Activation ${id}`}>
      <h2>Activation</h2>
      <ErrorNote error={record.error} />
      {record.value && <ActivationView activation={record.value} />}
      <p>
        <a href="#/activations">Close</a>
      </p>
    </section>
  );
}

/** The activation records, newest first, filtered and updating live; each opens to its whole record. */
export function ActivationsPage({ selected }: { selected: string | undefined }) {
  const { api } = useConsole();
  const [filters, setFilters] = useState<Filters>(filtersFromAddress);
  const [draft, setDraft] = useState<Filters>(filters);
  const [older, setOlder] = useState<{ items: Summary[]; cursor: string | null } | undefined>(undefined);
  const [olderError, setOlderError] = useState<unknown>(undefined);
  const query = { module: filters.module, function: filters.function, status: filters.status, limit: PAGE };
  const newest = usePoll(
    async () => {
      const answer = await api.get<Summary[]>('/v1/activations', query);
      return {
        items: answer.data,
        cursor: answer.body.next_cursor as string | null,
        total: answer.headers.get('x-total-count'),
      };
    },
    LIST_POLL_MS,
    [filters.module, filters.function, filters.status],
  );
  const items = [...(newest.value?.items ?? []), ...(older?.items ?? [])];
  const cursor = older ? older.cursor : (newest.value?.cursor ?? null);
  const id = selected?.split('?')[0];
  return (
    <div class={id ? 'split' : undefined}>
      <section aria-label="Activation list">
        <form
          class="filters"
          aria-label="Filters"
          onSubmit={(e) => {
            e.preventDefault();
            setOlder(undefined);
            setFilters(draft);
          }}
        >
          {(['module', 'function', 'status'] as const).map((key) => (
            <span key={key} class="field">
              <label for={`filter-${key}`}>{key[0]!.toUpperCase() + key.slice(1)}</label>
              <input
                id={`filter-${key}`}
                value={draft[key]}
                placeholder={key === 'status' ? 'success, guest_error, …' : 'any'}
                onInput={(e) => setDraft({ ...draft, [key]: e.currentTarget.value.trim() })}
              />
            </span>
          ))}
          <button type="submit">Filter</button>
        </form>
        <ErrorNote error={newest.error} />
        {newest.value && (
          <p class="hint">
            {newest.value.total === null ? 'Newest first' : `${newest.value.total} match, newest first`};
            updated every {LIST_POLL_MS / 1000} s.
          </p>
        )}
        {newest.value && items.length === 0 && <p class="empty">No activations match.</p>}
        {items.length > 0 && (
          <div class="table-wrap">
            <table class="activations">
              <thead>
                <tr>
                  <th>Started</th>
                  <th>Function</th>
                  <th>Status</th>
                  <th>Duration</th>
                  <th>Worker</th>
                </tr>
              </thead>
              <tbody>
                {items.map((a) => (
                  <tr key={a.activation_id} class={a.activation_id === id ? 'selected' : undefined}>
                    <td>
                      <a href={`#/activations/${a.activation_id}`}>
                        {new Date(a.start).toLocaleTimeString()}
                      </a>
                    </td>
                    <td>
                      {a.module}/{a.function}
                    </td>
                    <td>
                      <span
                        class={`status status-${a.status === 'success' ? 'ok' : a.status === 'queued' || a.status === 'running' ? 'pending' : 'failed'}`}
                      >
                        {a.status}
                      </span>
                    </td>
                    <td>{a.duration_ms === null ? '–' : `${a.duration_ms.toFixed(2)} ms`}</td>
                    <td>{a.worker ?? '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {cursor !== null && (
          <button
            type="button"
            onClick={() => {
              setOlderError(undefined);
              api
                .get<Summary[]>('/v1/activations', { ...query, cursor })
                .then((answer) =>
                  setOlder({
                    items: [...(older?.items ?? []), ...answer.data],
                    cursor: answer.body.next_cursor as string | null,
                  }),
                )
                .catch(setOlderError);
            }}
          >
            Older
          </button>
        )}
        <ErrorNote error={olderError} />
      </section>
      {id && <Detail key={id} id={id} />}
    </div>
  );
}
