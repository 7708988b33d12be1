export {
  buildFunction,
  checkShape,
  defaultOutFile,
  type BuildOptions,
  type BuildResult,
} from './build-function.js';
export { detectLanguage, LANGUAGES, parseLanguage, type Language } from './language.js';
export { locateSdk } from './assemblyscript.js';
