import { useEffect, useState } from 'preact/hooks';

import { ApiError, seg } from '../api/client.js';
import type { Schemas } from '../api/client.js';
import { CodeEditor } from '../components/code-editor.js';
import type { Mark } from '../components/code-editor.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { useConsole } from '../components/context.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../components/use-poll.js';

const NEW = '';
const TEMPLATE = `- default:\n    - workers: "*"\n      strategy: platform\n`;

/** The located problems of a 422 answer, as marks; a problem without a line goes on line 1. */
function marksOf(error: unknown): Mark[] {
  if (!(error instanceof ApiError) || error.status !== 422) return [];
  const problems = (error.body as Schemas['AppScriptProblems'] | undefined)?.errors.problems ?? [];
  return problems.map((p) => ({
    line: p.line ?? 1,
    ...(p.column === undefined ? {} : { column: p.column }),
    message: p.message,
  }));
}

/** APP scripts: list, open one, edit it with its problems shown at their lines, save, delete. */
export function ScriptsPage({ selected }: { selected: string | undefined }) {
  const { api } = useConsole();
  const list = usePoll(
    async () => (await api.get<Schemas['AppScriptName'][]>('/v1/scripts/app')).data,
    10_000,
  );
  const name = selected ?? NEW;
  const [newName, setNewName] = useState('');
  const [text, setText] = useState(TEMPLATE);
  const [loadError, setLoadError] = useState<unknown>(undefined);
  const [saveError, setSaveError] = useState<unknown>(undefined);
  // Which script was saved last: the message stays when saving a new one moves the page to it.
  const [saved, setSaved] = useState<string | undefined>(undefined);

  useEffect(() => {
    setSaveError(undefined);
    setLoadError(undefined);
    if (name === NEW) {
      setText(TEMPLATE);
      return;
    }
    api
      .get<Schemas['AppScript']>(`/v1/scripts/app/${seg(name)}`)
      .then((answer) => setText(answer.data.script))
      .catch(setLoadError);
  }, [name]);

  const save = (): void => {
    setSaveError(undefined);
    setSaved(undefined);
    const creating = name === NEW;
    const request = creating
      ? api.request<Schemas['AppScript']>('POST', '/v1/scripts/app', {
          json: { name: newName, script: text },
        })
      : api.request<Schemas['AppScript']>('PUT', `/v1/scripts/app/${seg(name)}`, {
          json: { script: text, ...(newName && newName !== name ? { name: newName } : {}) },
        });
    request
      .then((answer) => {
        setSaved(answer.data.name);
        setNewName('');
        list.refresh();
        if (answer.data.name !== name) location.hash = `#/scripts/${seg(answer.data.name)}`;
      })
      .catch(setSaveError);
  };

  const marks = marksOf(saveError);
  return (
    <div class="split">
      <nav aria-label="APP scripts" class="list">
        <ErrorNote error={list.error} />
        <ul>
          <li>
            <a href="#/scripts" aria-current={name === NEW ? 'page' : undefined}>
              + New script
            </a>
          </li>
          {(list.value ?? []).map((s) => (
            <li key={s.name}>
              <a href={`#/scripts/${seg(s.name)}`} aria-current={s.name === name ? 'page' : undefined}>
                {s.name}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <form
        class="grid wide"
        aria-label={name === NEW ? 'New APP script' : `APP script ${name}`}
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <h2>{name === NEW ? 'New script' : name}</h2>
        <ErrorNote error={loadError} />
        <label for="script-name">{name === NEW ? 'Name' : 'Rename to'}</label>
        <input
          id="script-name"
          value={newName}
          required={name === NEW}
          placeholder={name === NEW ? 'edge_first' : name}
          onInput={(e) => setNewName(e.currentTarget.value)}
        />
        <label for="script-text">Script (YAML)</label>
        <CodeEditor id="script-text" value={text} onInput={setText} marks={marks} />
        <div class="actions">
          <button type="submit">Save</button>
          {name !== NEW && (
            <ConfirmButton
              label="Delete"
              question={`Delete APP script ${name}?`}
              onConfirm={() =>
                api
                  .request('DELETE', `/v1/scripts/app/${seg(name)}`)
                  .then(() => {
                    list.refresh();
                    location.hash = '#/scripts';
                  })
                  .catch(setSaveError)
              }
            />
          )}
        </div>
        {saved === name && <p class="ok">Saved {saved}.</p>}
        <ErrorNote error={saveError} />
      </form>
    </div>
  );
}
