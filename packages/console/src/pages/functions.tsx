import { useState } from 'preact/hooks';

import { seg } from '../api/client.js';
import type { Schemas } from '../api/client.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { useConsole } from '../components/context.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../components/use-poll.js';
import { WasmDrop } from '../components/wasm-drop.js';

type Fn = Schemas['Function'];
interface ModuleView {
  name: string;
  functions: Fn[];
}

/** The fields of a function every version of the API has; anything else it reports is shown as it comes. */
const KNOWN_FIELDS = new Set(['name', 'module', 'hash', 'size', 'metadata', 'created_at', 'updated_at']);

/** The multipart form of a create or an update: only the parts that were given. */
function uploadForm(parts: { name?: string; code?: File; tag?: string; capacity?: string }): FormData {
  const form = new FormData();
  if (parts.name) form.append('name', parts.name);
  const metadata: Record<string, unknown> = {};
  if (parts.tag) metadata.tag = parts.tag;
  if (parts.capacity) metadata.capacity = Number(parts.capacity);
  if (Object.keys(metadata).length > 0) form.append('metadata', JSON.stringify(metadata));
  if (parts.code) form.append('code', parts.code, parts.code.name);
  return form;
}

/** A value the API reports beside the known fields (events and sinks with their state, …). */
function Extra({ value }: { value: unknown }) {
  if (Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    const rows = value as Record<string, unknown>[];
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    if (rows.length === 0) return <span class="hint">none</span>;
    return (
      <table class="inner">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td
                  key={c}
                  class={c === 'status' || c === 'state' ? `state state-${String(r[c])}` : undefined}
                >
                  {typeof r[c] === 'string' ? r[c] : JSON.stringify(r[c] ?? '')}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return <code>{JSON.stringify(value)}</code>;
}

function FunctionDetail({
  module,
  name,
  onChanged,
}: {
  module: string;
  name: string;
  onChanged: () => void;
}) {
  const { api } = useConsole();
  const detail = usePoll(
    async () => (await api.get<Record<string, unknown> & Fn>(`/v1/fn/${seg(module)}/${seg(name)}`)).data,
    10_000,
    [module, name],
  );
  const [code, setCode] = useState<File | undefined>(undefined);
  const [newName, setNewName] = useState('');
  const [tag, setTag] = useState('');
  const [capacity, setCapacity] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const fn = detail.value;
  const path = `/v1/fn/${seg(module)}/${seg(name)}`;
  return (
    <section class="detail" aria-label={`Function ${module}/${name}`}>
      <h2>
        {module}/{name}
      </h2>
      <ErrorNote error={detail.error} />
      {fn && (
        <dl class="facts">
          <dt>Tag</dt>
          <dd>{fn.metadata.tag}</dd>
          <dt>Capacity</dt>
          <dd>{fn.metadata.capacity} MiB</dd>
          <dt>Size</dt>
          <dd>{fn.size.toLocaleString()} bytes</dd>
          <dt>Hash</dt>
          <dd class="hash">{fn.hash}</dd>
          <dt>Updated</dt>
          <dd>{new Date(fn.updated_at).toLocaleString()}</dd>
          {Object.entries(fn)
            .filter(([k]) => !KNOWN_FIELDS.has(k))
            .map(([k, v]) => (
              <>
                <dt key={`${k}-t`}>{k[0]!.toUpperCase() + k.slice(1).replace(/_/g, ' ')}</dt>
                <dd key={`${k}-d`}>
                  <Extra value={v} />
                </dd>
              </>
            ))}
        </dl>
      )}
      <p>
        <a href={`#/invoke/${seg(module)}/${seg(name)}`}>Invoke it</a> ·{' '}
        <a href={`#/activations?module=${seg(module)}&function=${seg(name)}`}>Its activations</a>
      </p>
      <form
        class="grid"
        aria-label="Update the function"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          setDone(undefined);
          const form = uploadForm({ name: newName, code, tag, capacity });
          api
            .request<Fn>('PUT', path, { form })
            .then((answer) => {
              setDone(`Updated ${answer.data.module}/${answer.data.name}.`);
              setCode(undefined);
              setTag('');
              setCapacity('');
              setNewName('');
              if (answer.data.name !== name) location.hash = `#/functions`;
              onChanged();
              detail.refresh();
            })
            .catch(setError);
        }}
      >
        <h3>Update</h3>
        <WasmDrop id="update-code" file={code} onFile={setCode} required={false} />
        <label for="update-tag">Tag</label>
        <input
          id="update-tag"
          value={tag}
          placeholder={fn?.metadata.tag}
          onInput={(e) => setTag(e.currentTarget.value)}
        />
        <label for="update-capacity">Capacity (MiB)</label>
        <input
          id="update-capacity"
          type="number"
          min={1}
          value={capacity}
          placeholder={fn ? String(fn.metadata.capacity) : ''}
          onInput={(e) => setCapacity(e.currentTarget.value)}
        />
        <label for="update-name">Rename to</label>
        <input
          id="update-name"
          value={newName}
          placeholder={name}
          onInput={(e) => setNewName(e.currentTarget.value)}
        />
        <div class="actions">
          <button type="submit" disabled={!code && !tag && !capacity && !newName}>
            Save changes
          </button>
          <ConfirmButton
            label="Delete"
            question={`Delete function ${module}/${name}?`}
            onConfirm={() =>
              api
                .request('DELETE', path)
                .then(() => {
                  location.hash = '#/functions';
                  onChanged();
                })
                .catch(setError)
            }
          />
        </div>
      </form>
      {done && <p class="ok">{done}</p>}
      <ErrorNote error={error} />
    </section>
  );
}

function UploadForm({
  modules,
  onUploaded,
}: {
  modules: string[];
  onUploaded: (module: string, name: string) => void;
}) {
  const { api } = useConsole();
  const [module, setModule] = useState('_');
  const [name, setName] = useState('');
  const [tag, setTag] = useState('');
  const [capacity, setCapacity] = useState('');
  const [code, setCode] = useState<File | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="grid"
      aria-label="Upload a function"
      onSubmit={(e) => {
        e.preventDefault();
        setError(undefined);
        setBusy(true);
        api
          .request<Fn>('POST', `/v1/fn/${seg(module)}`, { form: uploadForm({ name, code, tag, capacity }) })
          .then((answer) => {
            setName('');
            setCode(undefined);
            onUploaded(answer.data.module, answer.data.name);
          })
          .catch(setError)
          .finally(() => setBusy(false));
      }}
    >
      <h2>Upload a function</h2>
      <label for="upload-module">Module</label>
      <select id="upload-module" value={module} onChange={(e) => setModule(e.currentTarget.value)}>
        {modules.map((m) => (
          <option key={m}>{m}</option>
        ))}
      </select>
      <label for="upload-name">Name</label>
      <input id="upload-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <WasmDrop id="upload-code" file={code} onFile={setCode} required />
      <label for="upload-tag">Tag</label>
      <input
        id="upload-tag"
        value={tag}
        placeholder="default"
        onInput={(e) => setTag(e.currentTarget.value)}
      />
      <label for="upload-capacity">Capacity (MiB)</label>
      <input
        id="upload-capacity"
        type="number"
        min={1}
        value={capacity}
        placeholder="64"
        onInput={(e) => setCapacity(e.currentTarget.value)}
      />
      <div class="actions">
        <button type="submit" disabled={busy || !code || !name}>
          Upload
        </button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

function ModuleActions({ name, onChanged }: { name: string; onChanged: () => void }) {
  const { api } = useConsole();
  const [renaming, setRenaming] = useState(false);
  const [to, setTo] = useState(name);
  const [error, setError] = useState<unknown>(undefined);
  if (name === '_') return <span class="hint">the shared module</span>;
  return (
    <span class="module-actions">
      {renaming ? (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            api
              .request('PUT', `/v1/fn/${seg(name)}`, { json: { module: { name: to } } })
              .then(() => {
                setRenaming(false);
                onChanged();
              })
              .catch(setError);
          }}
        >
          <label class="visually-hidden" for={`rename-${name}`}>
            New name of module {name}
          </label>
          <input id={`rename-${name}`} value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          <button type="submit">Rename</button>
          <button type="button" onClick={() => setRenaming(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" onClick={() => setRenaming(true)}>
          Rename
        </button>
      )}
      <ConfirmButton
        label="Delete"
        question={`Delete module ${name} and its functions?`}
        onConfirm={() =>
          api
            .request('DELETE', `/v1/fn/${seg(name)}`)
            .then(onChanged)
            .catch(setError)
        }
      />
      <ErrorNote error={error} />
    </span>
  );
}

/** Modules and their functions: upload, update, rename and delete. */
export function FunctionsPage() {
  const { api } = useConsole();
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const [selected, setSelected] = useState<{ module: string; name: string } | undefined>(
    params.get('module') && params.get('function')
      ? { module: params.get('module')!, name: params.get('function')! }
      : undefined,
  );
  const [newModule, setNewModule] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const modules = usePoll(async () => {
    const list = (await api.get<Schemas['Module'][]>('/v1/fn')).data;
    return Promise.all(list.map(async (m) => (await api.get<ModuleView>(`/v1/fn/${seg(m.name)}`)).data));
  }, 10_000);
  const names = (modules.value ?? []).map((m) => m.name);
  return (
    <div class="split">
      <section aria-labelledby="modules-title">
        <h2 id="modules-title">Modules</h2>
        <ErrorNote error={modules.error} />
        {(modules.value ?? []).map((m) => (
          <div class="module" key={m.name}>
            <h3>
              {m.name} <ModuleActions name={m.name} onChanged={modules.refresh} />
            </h3>
            {m.functions.length === 0 ? (
              <p class="empty">No functions.</p>
            ) : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Function</th>
                      <th>Tag</th>
                      <th>Capacity</th>
                      <th>Size</th>
                      <th>Hash</th>
                    </tr>
                  </thead>
                  <tbody>
                    {m.functions.map((f) => (
                      <tr
                        key={f.name}
                        class={
                          selected?.module === m.name && selected.name === f.name ? 'selected' : undefined
                        }
                      >
                        <td>
                          <button
                            type="button"
                            class="link"
                            onClick={() => setSelected({ module: m.name, name: f.name })}
                          >
                            {f.name}
                          </button>
                        </td>
                        <td>{f.metadata.tag}</td>
                        <td>{f.metadata.capacity} MiB</td>
                        <td>{f.size.toLocaleString()} B</td>
                        <td class="hash" title={f.hash}>
                          {f.hash.slice(0, 12)}…
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        ))}
        <form
          class="inline"
          aria-label="Create a module"
          onSubmit={(e) => {
            e.preventDefault();
            setError(undefined);
            api
              .request('POST', '/v1/fn', { json: { module: { name: newModule } } })
              .then(() => {
                setNewModule('');
                modules.refresh();
              })
              .catch(setError);
          }}
        >
          <label for="new-module">New module</label>
          <input
            id="new-module"
            required
            value={newModule}
            onInput={(e) => setNewModule(e.currentTarget.value)}
          />
          <button type="submit">Create</button>
        </form>
        <ErrorNote error={error} />
      </section>
      <div>
        {selected && (
          <FunctionDetail
            key={`${selected.module}/${selected.name}`}
            module={selected.module}
            name={selected.name}
            onChanged={() => {
              setSelected(undefined);
              modules.refresh();
            }}
          />
        )}
        <UploadForm
          modules={names.length > 0 ? names : ['_']}
          onUploaded={(module, name) => {
            modules.refresh();
            setSelected({ module, name });
          }}
        />
      </div>
    </div>
  );
}
