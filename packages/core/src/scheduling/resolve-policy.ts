import { ErrorCode, FlError } from '@funless/protocol';

import { decideApp } from './app/decide-app.js';
import type { AppScript } from './app/types.js';
import { defaultPolicy } from './default-policy.js';
import type { PlacementPolicy, SchedulingRequest } from './types.js';

/** The scheduling languages an invocation may name. */
export const SchedulingLanguage = { None: 'none', App: 'app' } as const;
export type SchedulingLanguage = (typeof SchedulingLanguage)[keyof typeof SchedulingLanguage];
/** Every scheduling language, in the order error messages list them. */
export const SCHEDULING_LANGUAGES: readonly SchedulingLanguage[] = Object.values(SchedulingLanguage);

/**
 * The policy an invocation asked for, resolved once per invocation (by the invoke route, which
 * hands it to the cluster). No `scheduling`, or language `none`: the default policy.
 * Language `app`: the named script's decisions. Throws `FlError` `bad_request` for an unknown
 * language or a missing script name, `not_found` for an unknown script.
 *
 * @param loadScript - the parsed script by name, undefined when there is none (e.g. `ParsedAppScripts.get`).
 */
export async function resolvePolicy(
  scheduling: SchedulingRequest | undefined,
  loadScript: (name: string) => Promise<AppScript | undefined>,
): Promise<PlacementPolicy> {
  const name = scriptName(scheduling);
  if (name === undefined) return defaultPolicy;
  const script = await loadScript(name);
  if (script === undefined) throw new FlError(ErrorCode.NotFound, `APP script ${name} not found`);
  return (workers, req) => decideApp(script, workers, req);
}

/** The script an invocation names; undefined for the default policy. */
function scriptName(scheduling: SchedulingRequest | undefined): string | undefined {
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
      `unknown scheduling language ${JSON.stringify(scheduling.language)}: use one of ${SCHEDULING_LANGUAGES.map((l) => `"${l}"`).join(', ')}`,
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
