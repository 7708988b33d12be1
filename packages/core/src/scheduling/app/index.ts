export { parseAppScript } from './parse-app-script.js';
export { decideApp, compileAppScript } from './decide-app.js';
export type { CompiledAppScript } from './compiled-app-script.js';
export { appScriptToJson } from './app-script-json.js';
export type { AppScriptJson, AppTagEntryJson, AppBlockJson } from './app-script-json.js';
export {
  APP_ALL_WORKERS,
  APP_DEFAULT_TAG,
  APP_FOLLOWUPS,
  APP_STRATEGIES,
  AppFollowup,
  AppProblemKind,
  AppStrategy,
} from './types.js';
export type { AppBlock, AppInvalidate, AppParseResult, AppProblem, AppScript, AppTagEntry } from './types.js';
