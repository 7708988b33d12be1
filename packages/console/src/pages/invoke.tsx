import { useEffect, useState } from 'preact/hooks';

import { ApiError, seg } from '../api/client.js';
import type { Schemas } from '../api/client.js';
import { ActivationView, isPending, pretty } from '../components/activation-view.js';
import { useConsole } from '../components/context.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../components/use-poll.js';

/** How often an asynchronous invocation's record is read until it finished, and for how long at most. */
const ASYNC_POLL_MS = 1000;
const ASYNC_WAIT_MS = 10 * 60_000;

/** The args as typed: a JSON object (empty text is `{}`), or what is wrong with it. */
export function parseArgs(text: string): { args: Record<string, unknown> } | { problem: string } {
  if (text.trim() === '') return { args: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: 'args must be a JSON object, like {"name": "World"}' };
  }
  return { args: value as Record<string, unknown> };
}

interface Outcome {
  status: number;
  /** The answer's result (sync) or the error the API gave. */
  result?: unknown;
  error?: ApiError;
  /** Milliseconds from sending to the answer, as this browser saw it. */
  elapsedMs: number;
  activationId: string | null;
}

/** Runs a function with JSON args (optionally under an APP script), synchronously or not. */
export function InvokePage({ target }: { target: string[] }) {
  const { api } = useConsole();
  const [fn, setFn] = useState(target.length === 2 ? `${target[0]}/${target[1]}` : '');
  const [argsText, setArgsText] = useState('{}');
  const [script, setScript] = useState('');
  const [asynchronous, setAsynchronous] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [activation, setActivation] = useState<Schemas['Activation'] | undefined>(undefined);
  const [activationError, setActivationError] = useState<unknown>(undefined);

  const functions = usePoll(async () => {
    const modules = (await api.get<Schemas['Module'][]>('/v1/fn')).data;
    const all = await Promise.all(
      modules.map(
        async (m) => (await api.get<{ functions: Schemas['Function'][] }>(`/v1/fn/${seg(m.name)}`)).data,
      ),
    );
    return all.flatMap((m) => m.functions.map((f) => `${f.module}/${f.name}`));
  }, 0);
  // Invokers may not list scripts (403): the field then takes a name typed by hand.
  const scripts = usePoll(async () => (await api.get<Schemas['AppScriptName'][]>('/v1/scripts/app')).data, 0);
  useEffect(() => {
    if (fn === '' && functions.value?.[0] !== undefined) setFn(functions.value[0]);
  }, [functions.value]);

  const parsed = parseArgs(argsText);
  const problem = 'problem' in parsed ? parsed.problem : undefined;

  const followActivation = async (id: string, untilDone: boolean): Promise<void> => {
    const deadline = Date.now() + ASYNC_WAIT_MS;
    for (;;) {
      const record = (await api.get<Schemas['Activation']>(`/v1/activations/${id}`)).data;
      setActivation(record);
      if (!untilDone || !isPending(record.status) || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, ASYNC_POLL_MS));
    }
  };

  const invoke = async (): Promise<void> => {
    if (!('args' in parsed)) return;
    const [module = '', name = ''] = fn.split('/');
    const body = {
      args: parsed.args,
      ...(script ? { scheduling: { language: 'app', script } } : {}),
    };
    setBusy(true);
    setOutcome(undefined);
    setActivation(undefined);
    setActivationError(undefined);
    const started = performance.now();
    let id: string | null = null;
    try {
      const answer = await api.request<unknown>('POST', `/v1/fn/${seg(module)}/${seg(name)}`, {
        json: body,
        ...(asynchronous ? { query: { blocking: 'false' } } : {}),
      });
      id = answer.headers.get('x-fl-activation-id');
      setOutcome({
        status: answer.status,
        result: answer.data,
        elapsedMs: performance.now() - started,
        activationId: id,
      });
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(0, String(error), undefined);
      id = apiError.headers.get('x-fl-activation-id');
      setOutcome({
        status: apiError.status,
        error: apiError,
        elapsedMs: performance.now() - started,
        activationId: id,
      });
    } finally {
      setBusy(false);
    }
    if (id !== null) await followActivation(id, asynchronous).catch(setActivationError);
  };

  return (
    <div class="split">
      <form
        class="grid"
        aria-label="Invoke a function"
        onSubmit={(e) => {
          e.preventDefault();
          void invoke();
        }}
      >
        <label for="invoke-fn">Function</label>
        <select id="invoke-fn" value={fn} onChange={(e) => setFn(e.currentTarget.value)} required>
          {fn !== '' && !(functions.value ?? []).includes(fn) && <option>{fn}</option>}
          {(functions.value ?? []).map((f) => (
            <option key={f}>{f}</option>
          ))}
        </select>
        <label for="invoke-args">Args (JSON object)</label>
        <textarea
          id="invoke-args"
          class="code"
          rows={8}
          spellcheck={false}
          value={argsText}
          aria-invalid={problem !== undefined}
          aria-describedby="args-check"
          onInput={(e) => setArgsText(e.currentTarget.value)}
        />
        <p id="args-check" class={problem ? 'error' : 'hint'}>
          {problem ?? 'Valid JSON.'}
        </p>
        <label for="invoke-script">APP script (optional)</label>
        {scripts.value ? (
          <select id="invoke-script" value={script} onChange={(e) => setScript(e.currentTarget.value)}>
            <option value="">none: the default policy</option>
            {scripts.value.map((s) => (
              <option key={s.name}>{s.name}</option>
            ))}
          </select>
        ) : (
          <input
            id="invoke-script"
            value={script}
            placeholder="none"
            onInput={(e) => setScript(e.currentTarget.value)}
          />
        )}
        <label class="check">
          <input
            type="checkbox"
            checked={asynchronous}
            onChange={(e) => setAsynchronous(e.currentTarget.checked)}
          />{' '}
          Asynchronous (answered at once; the record shows how it went)
        </label>
        <div class="actions">
          <button type="submit" disabled={busy || problem !== undefined || fn === ''}>
            {busy ? 'Running…' : 'Invoke'}
          </button>
        </div>
        <ErrorNote error={functions.error} />
      </form>
      <section aria-label="Outcome" aria-live="polite">
        {outcome && (
          <>
            <h2>
              {outcome.status} {outcome.error ? 'failed' : asynchronous ? 'accepted' : 'ok'} in{' '}
              {outcome.elapsedMs.toFixed(1)} ms
            </h2>
            {outcome.error ? (
              <ErrorNote error={outcome.error} />
            ) : (
              <pre class="result">{pretty(outcome.result)}</pre>
            )}
          </>
        )}
        <ErrorNote error={activationError} />
        {activation && <ActivationView activation={activation} />}
      </section>
    </div>
  );
}
