import { ErrorCode, FlError } from '@funless/protocol';

import { decideApp } from './app/decide-app.js';
import type { AppScript } from './app/types.js';
import { AppScriptCache } from './app-script-cache.js';
import type { AppScriptSource } from './app-script-cache.js';
import { defaultPolicy } from './default-policy.js';
import type { Placement, PlacementRequest, WorkerView } from './types.js';

/** A placement policy: a pure function of the Worker snapshot and the function to place. */
export type PlacementPolicy = (workers: readonly WorkerView[], req: PlacementRequest) => Placement;

/** The scheduling part of an invocation: `{"language": "app", "script": "<name>"}` or `{"language": "none"}`. */
export interface SchedulingChoice {
  language: string;
  script?: string;
}

/** The scheduling languages an invocation may name. */
export const SchedulingLanguage = { None: 'none', App: 'app' } as const;
export type SchedulingLanguage = (typeof SchedulingLanguage)[keyof typeof SchedulingLanguage];
const LANGUAGES: readonly string[] = Object.values(SchedulingLanguage);

/**
 * The policy an invocation asked for. No `scheduling`, or language `none`: the default policy.
 * Language `app`: the named script's decisions. Throws `FlError` `bad_request` for an unknown
 * language or a missing script name, `not_found` for an unknown script.
 *
 * @param loadScript - the parsed script by name, undefined when there is none (e.g. `AppScriptCache.get`).
 */
export async function resolvePolicy(
  scheduling: SchedulingChoice | undefined,
  loadScript: (name: string) => Promise<AppScript | undefined>,
): Promise<PlacementPolicy> {
  const name = scriptName(scheduling);
  if (name === undefined) return defaultPolicy;
  const script = await loadScript(name);
  if (script === undefined) throw new FlError(ErrorCode.NotFound, `APP script ${name} not found`);
  return appPolicy(script);
}

/**
 * A placement resolver for the cluster (`CoreClusterOptions.placement`): the default policy, or the
 * APP script the invocation names, read through the cache shared with the script routes. Answers
 * synchronously unless the script must be read from `source`.
 */
export function appPlacementResolver(
  source: AppScriptSource,
): (
  workers: readonly WorkerView[],
  fn: PlacementRequest,
  scheduling: SchedulingChoice | undefined,
) => Placement | Promise<Placement> {
  const cache = AppScriptCache.for(source);
  return (workers, fn, scheduling) => {
    const name = scriptName(scheduling);
    if (name === undefined) return defaultPolicy(workers, fn);
    const cached = cache.peek(name);
    if (cached !== undefined) return decideApp(cached, workers, fn);
    // A Worker that left during the load is caught by the cluster, which checks its choice is linked.
    return resolvePolicy(scheduling, (n) => cache.get(n)).then((policy) => policy(workers, fn));
  };
}

function appPolicy(script: AppScript): PlacementPolicy {
  return (workers, req) => decideApp(script, workers, req);
}

/** The script an invocation names; undefined for the default policy. */
function scriptName(scheduling: SchedulingChoice | undefined): string | undefined {
  if (scheduling === undefined || scheduling.language === SchedulingLanguage.None) {
    if (scheduling?.script !== undefined) {
      throw new FlError(
        ErrorCode.BadRequest,
        'scheduling.script needs scheduling.language "app", not "none"',
      );
    }
    return undefined;
  }
  if (scheduling.language !== SchedulingLanguage.App) {
    throw new FlError(
      ErrorCode.BadRequest,
      `unknown scheduling language ${JSON.stringify(scheduling.language)}: use one of ${LANGUAGES.map((l) => `"${l}"`).join(', ')}`,
    );
  }
  if (scheduling.script === undefined || scheduling.script === '') {
    throw new FlError(
      ErrorCode.BadRequest,
      'scheduling.script is required with language "app": name an APP script',
    );
  }
  return scheduling.script;
}
