import { ACTIVATION_ID_HEADER } from '@funless/protocol';

import type { ApiClient } from './api-client.js';

const seg = encodeURIComponent;

/** A function upload: code and metadata. Absent fields are left as they are on update. */
export interface FunctionUpload {
  /** The function's (new) name. */
  name?: string;
  code?: Uint8Array;
  /** File name sent with the code part. @default `<name>.wasm` */
  fileName?: string;
  tag?: string;
  /** Memory reserved per invocation, in MiB. */
  capacityMiB?: number;
  /** Return only once every connected Worker holds the code. @default true (Core side) */
  waitForWorkers?: boolean;
  /** Replaces the function's events (docs/events.md). */
  events?: { type: string; params: Record<string, unknown> }[];
  /** Replaces the function's sinks. */
  sinks?: { type: string; params: Record<string, unknown> }[];
}

export interface InvokeRequestBody {
  args: Record<string, unknown>;
  scheduling?: { language: string; script: string };
}

type Data<T> = { data: T };
type Json = Record<string, unknown>;

/** The filters of `GET /v1/activations` (docs/api.md, "Activations"). */
export interface ActivationFilters {
  module?: string;
  function?: string;
  status?: string;
  /** ISO 8601 time or ms since 1970. */
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

/** One page of activations, newest first. */
export interface ActivationPage {
  data: Json[];
  next_cursor: string | null;
  /** `X-Total-Count`, when the Core sent it. */
  total: number | undefined;
}

function activationSubject(id: string): { subject: string; subjectNames: string[] } {
  return { subject: `activation ${id}`, subjectNames: [id] };
}

function functionSubject(mod: string, name: string): { subject: string; subjectNames: string[] } {
  return { subject: `function "${name}" in module "${mod}"`, subjectNames: [name, mod] };
}
function moduleSubject(mod: string): { subject: string; subjectNames: string[] } {
  return { subject: `module "${mod}"`, subjectNames: [mod] };
}

/** The Core's v1 routes (docs/api.md) as typed calls. */
export class FunlessApi {
  constructor(readonly client: ApiClient) {}

  health(): Promise<unknown> {
    return this.client.request('GET', '/v1/').then((r) => r.body);
  }

  // Modules

  async listModules(): Promise<Json[]> {
    return (await this.client.request<Data<Json[]>>('GET', '/v1/fn')).body.data;
  }
  async getModule(name: string): Promise<Json> {
    return (await this.client.request<Data<Json>>('GET', `/v1/fn/${seg(name)}`, moduleSubject(name))).body
      .data;
  }
  async createModule(name: string): Promise<Json> {
    const r = await this.client.request<Data<Json>>('POST', '/v1/fn', {
      json: { module: { name } },
      ...moduleSubject(name),
    });
    return r.body.data;
  }
  async renameModule(name: string, newName: string): Promise<Json> {
    const r = await this.client.request<Data<Json> | undefined>('PUT', `/v1/fn/${seg(name)}`, {
      json: { module: { name: newName } },
      ...moduleSubject(name),
    });
    return r.body?.data ?? { name: newName };
  }
  async deleteModule(name: string): Promise<void> {
    await this.client.request('DELETE', `/v1/fn/${seg(name)}`, moduleSubject(name));
  }

  // Functions

  async createFunction(
    mod: string,
    upload: FunctionUpload & { name: string; code: Uint8Array },
  ): Promise<Json> {
    const r = await this.client.request<Data<Json> | undefined>('POST', `/v1/fn/${seg(mod)}`, {
      form: functionForm(upload),
      ...functionSubject(mod, upload.name),
    });
    return r.body?.data ?? { name: upload.name, module: mod };
  }
  async updateFunction(mod: string, name: string, upload: FunctionUpload): Promise<Json> {
    const r = await this.client.request<Data<Json> | undefined>('PUT', `/v1/fn/${seg(mod)}/${seg(name)}`, {
      form: functionForm(upload),
      ...functionSubject(mod, name),
    });
    return r.body?.data ?? { name: upload.name ?? name, module: mod };
  }
  async getFunction(mod: string, name: string): Promise<Json> {
    const r = await this.client.request<Data<Json>>(
      'GET',
      `/v1/fn/${seg(mod)}/${seg(name)}`,
      functionSubject(mod, name),
    );
    return r.body.data;
  }
  async deleteFunction(mod: string, name: string): Promise<void> {
    await this.client.request('DELETE', `/v1/fn/${seg(mod)}/${seg(name)}`, functionSubject(mod, name));
  }
  /** Runs the function and resolves to its JSON result (the answer's `data`). */
  async invoke(mod: string, name: string, body: InvokeRequestBody): Promise<unknown> {
    const r = await this.client.request<Data<unknown>>('POST', `/v1/fn/${seg(mod)}/${seg(name)}`, {
      json: body,
      ...functionSubject(mod, name),
    });
    return r.body.data;
  }

  /**
   * Runs the function and resolves to its JSON result and the id of its activation record
   * (undefined when the Core keeps none).
   */
  async invokeRecorded(
    mod: string,
    name: string,
    body: InvokeRequestBody,
  ): Promise<{ result: unknown; activationId: string | undefined }> {
    const r = await this.client.request<Data<unknown>>('POST', `/v1/fn/${seg(mod)}/${seg(name)}`, {
      json: body,
      ...functionSubject(mod, name),
    });
    return { result: r.body.data, activationId: r.headers.get(ACTIVATION_ID_HEADER) ?? undefined };
  }
  /** Stores the invocation to run later (`?blocking=false`) and resolves to its activation id. */
  async invokeAsync(mod: string, name: string, body: InvokeRequestBody): Promise<string> {
    const r = await this.client.request<Data<{ activation_id: string }>>(
      'POST',
      `/v1/fn/${seg(mod)}/${seg(name)}?blocking=false`,
      { json: body, ...functionSubject(mod, name) },
    );
    return r.body.data.activation_id;
  }

  // Activations

  async listActivations(filters: ActivationFilters = {}): Promise<ActivationPage> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) {
      if (value !== undefined) query.set(key, String(value));
    }
    const qs = query.toString();
    const r = await this.client.request<{ data: Json[]; next_cursor: string | null }>(
      'GET',
      `/v1/activations${qs === '' ? '' : `?${qs}`}`,
    );
    const total = r.headers.get('x-total-count');
    return { ...r.body, total: total === null ? undefined : Number(total) };
  }
  async getActivation(id: string): Promise<Json> {
    const r = await this.client.request<Data<Json>>(
      'GET',
      `/v1/activations/${seg(id)}`,
      activationSubject(id),
    );
    return r.body.data;
  }
  async activationLogs(
    id: string,
  ): Promise<{ data: { stream: string; text: string }[]; truncated: boolean }> {
    const r = await this.client.request<{ data: { stream: string; text: string }[]; truncated: boolean }>(
      'GET',
      `/v1/activations/${seg(id)}/logs`,
      activationSubject(id),
    );
    return r.body;
  }

  // APP scripts

  async listScripts(): Promise<Json[]> {
    return (await this.client.request<Data<Json[]>>('GET', '/v1/scripts/app')).body.data;
  }
  async getScript(name: string): Promise<Json> {
    const r = await this.client.request<Data<Json>>('GET', `/v1/scripts/app/${seg(name)}`, {
      subject: `APP script "${name}"`,
      subjectNames: [name],
    });
    return r.body.data;
  }
  async createScript(name: string, script: string): Promise<Json> {
    const r = await this.client.request<Data<Json> | undefined>('POST', '/v1/scripts/app', {
      json: { name, script },
      subject: `APP script "${name}"`,
      subjectNames: [name],
    });
    return r.body?.data ?? { name };
  }
  async updateScript(name: string, script: string): Promise<Json> {
    const r = await this.client.request<Data<Json> | undefined>('PUT', `/v1/scripts/app/${seg(name)}`, {
      json: { name, script },
      subject: `APP script "${name}"`,
      subjectNames: [name],
    });
    return r.body?.data ?? { name };
  }
  async deleteScript(name: string): Promise<void> {
    await this.client.request('DELETE', `/v1/scripts/app/${seg(name)}`, {
      subject: `APP script "${name}"`,
      subjectNames: [name],
    });
  }

  // Workers

  async workers(): Promise<Json[]> {
    return (await this.client.request<Data<Json[]>>('GET', '/v1/workers')).body.data;
  }

  /** A one-time code for the web console's sign-in link, standing for the API token (or the admin's). */
  async signInCode(admin: boolean): Promise<{ code: string; expires_at: string }> {
    const r = await this.client.request<Data<{ code: string; expires_at: string }>>(
      'POST',
      '/v1/sign-in/codes',
      {
        admin,
      },
    );
    return r.body.data;
  }

  // Subjects (admin token)

  async listSubjects(): Promise<Json[]> {
    return (await this.client.request<Data<Json[]>>('GET', '/v1/admin/subjects', { admin: true })).body.data;
  }
  /** Creates a subject with `role`, or the Core's default role (developer) when absent. */
  async createSubject(name: string, role?: string): Promise<Json> {
    const r = await this.client.request<Data<Json>>('POST', '/v1/admin/subjects', {
      json: { subject: role === undefined ? { name } : { name, role } },
      admin: true,
      subject: `subject "${name}"`,
      subjectNames: [name],
    });
    return r.body.data;
  }
  async getSubject(name: string): Promise<Json> {
    const r = await this.client.request<Data<Json>>('GET', `/v1/admin/subjects/${seg(name)}`, {
      admin: true,
      subject: `subject "${name}"`,
      subjectNames: [name],
    });
    return r.body.data;
  }
  async setSubjectRole(name: string, role: string): Promise<Json> {
    const r = await this.client.request<Data<Json>>('PUT', `/v1/admin/subjects/${seg(name)}`, {
      json: { subject: { role } },
      admin: true,
      subject: `subject "${name}"`,
      subjectNames: [name],
    });
    return r.body.data;
  }
  async deleteSubject(name: string): Promise<void> {
    await this.client.request('DELETE', `/v1/admin/subjects/${seg(name)}`, {
      admin: true,
      subject: `subject "${name}"`,
      subjectNames: [name],
    });
  }
  async rotateSubject(name: string): Promise<Json> {
    const r = await this.client.request<Data<Json>>('POST', `/v1/admin/subjects/${seg(name)}/token`, {
      admin: true,
      subject: `subject "${name}"`,
      subjectNames: [name],
    });
    return r.body.data;
  }

  // Ownership (admin token)

  /** Who owns a module or APP script, and who else may change it. */
  async ownership(kind: GrantTarget, name: string): Promise<Json> {
    const r = await this.client.request<Data<Json>>('GET', `${GRANT_BASE[kind]}/${seg(name)}`, {
      admin: true,
      ...grantSubject(kind, name),
    });
    return r.body.data;
  }
  /** Lets `subject` change the module or APP script `name`; resolves to its ownership. */
  async grant(kind: GrantTarget, name: string, subject: string): Promise<Json> {
    const r = await this.client.request<Data<Json>>(
      'PUT',
      `${GRANT_BASE[kind]}/${seg(name)}/grants/${seg(subject)}`,
      { admin: true, ...grantSubject(kind, name, subject) },
    );
    return r.body.data;
  }
  async revoke(kind: GrantTarget, name: string, subject: string): Promise<void> {
    await this.client.request('DELETE', `${GRANT_BASE[kind]}/${seg(name)}/grants/${seg(subject)}`, {
      admin: true,
      ...grantSubject(kind, name, subject),
    });
  }
}

/** What a grant opens: a module, or an APP script. */
export type GrantTarget = 'module' | 'script';

const GRANT_BASE: Record<GrantTarget, string> = {
  module: '/v1/admin/modules',
  script: '/v1/admin/scripts/app',
};

function grantSubject(kind: GrantTarget, name: string, subject?: string) {
  const what = kind === 'module' ? `module "${name}"` : `APP script "${name}"`;
  return {
    subject: subject === undefined ? what : `${what}, subject "${subject}"`,
    subjectNames: subject === undefined ? [name] : [name, subject],
  };
}

function functionForm(upload: FunctionUpload): FormData {
  const form = new FormData();
  if (upload.name !== undefined) form.set('name', upload.name);
  if (upload.code !== undefined) {
    const blob = new Blob([upload.code], { type: 'application/wasm' });
    form.set('code', blob, upload.fileName ?? `${upload.name ?? 'function'}.wasm`);
  }
  const metadata: Record<string, unknown> = {};
  if (upload.tag !== undefined) metadata.tag = upload.tag;
  if (upload.capacityMiB !== undefined) metadata.capacity = upload.capacityMiB;
  if (Object.keys(metadata).length > 0) form.set('metadata', JSON.stringify(metadata));
  if (upload.waitForWorkers !== undefined) form.set('wait_for_workers', String(upload.waitForWorkers));
  if (upload.events !== undefined) form.set('events', JSON.stringify(upload.events));
  if (upload.sinks !== undefined) form.set('sinks', JSON.stringify(upload.sinks));
  return form;
}
