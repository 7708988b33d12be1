import { useState } from 'preact/hooks';

import { seg } from '../api/client.js';
import type { Schemas } from '../api/client.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { useConsole } from '../components/context.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../components/use-poll.js';

type Role = Schemas['SubjectRequest']['subject']['role'];
const ROLES: Role[] = ['developer', 'invoker'];

/** Subjects (admin token only): create (the token shown once), rotate, change the role, delete. */
export function AdminPage() {
  const { api } = useConsole();
  const subjects = usePoll(
    async () => (await api.get<Schemas['Subject'][]>('/v1/admin/subjects')).data,
    10_000,
  );
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [shown, setShown] = useState<Schemas['SubjectToken'] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);

  const act = (request: Promise<unknown>): void => {
    setError(undefined);
    request.then(subjects.refresh).catch(setError);
  };
  const showToken = (request: Promise<{ data: Schemas['SubjectToken'] }>): void =>
    act(request.then((answer) => setShown(answer.data)));

  return (
    <>
      {shown && (
        <section class="token-once" aria-live="polite" aria-label="New token">
          <h2>
            Token of {shown.name} ({shown.role})
          </h2>
          <p>Shown this once: copy it now. The Core keeps only its hash.</p>
          <input
            class="code"
            readOnly
            value={shown.token}
            aria-label={`Token of ${shown.name}`}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" onClick={() => setShown(undefined)}>
            Done
          </button>
        </section>
      )}
      <section aria-labelledby="subjects-title">
        <h2 id="subjects-title">Subjects</h2>
        <ErrorNote error={subjects.error ?? error} />
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Subject</th>
                <th>Role</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {(subjects.value ?? []).map((s) => (
                <tr key={s.name}>
                  <td>{s.name}</td>
                  <td>
                    <label class="visually-hidden" for={`role-${s.name}`}>
                      Role of {s.name}
                    </label>
                    <select
                      id={`role-${s.name}`}
                      value={s.role}
                      onChange={(e) =>
                        act(
                          api.request('PUT', `/v1/admin/subjects/${seg(s.name)}`, {
                            json: { subject: { role: e.currentTarget.value } },
                          }),
                        )
                      }
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td class="actions">
                    <button
                      type="button"
                      onClick={() =>
                        showToken(
                          api.request<Schemas['SubjectToken']>(
                            'POST',
                            `/v1/admin/subjects/${seg(s.name)}/token`,
                          ),
                        )
                      }
                    >
                      Rotate token
                    </button>
                    <ConfirmButton
                      label="Delete"
                      question={`Delete subject ${s.name}? Its token stops working at once.`}
                      onConfirm={() => act(api.request('DELETE', `/v1/admin/subjects/${seg(s.name)}`))}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <form
        class="inline"
        aria-label="Create a subject"
        onSubmit={(e) => {
          e.preventDefault();
          showToken(
            api
              .request<Schemas['SubjectToken']>('POST', '/v1/admin/subjects', {
                json: { subject: { name, role } },
              })
              .then((answer) => {
                setName('');
                return answer;
              }),
          );
        }}
      >
        <label for="subject-name">New subject</label>
        <input id="subject-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <label for="subject-role">Role</label>
        <select id="subject-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <button type="submit">Create</button>
      </form>
    </>
  );
}
