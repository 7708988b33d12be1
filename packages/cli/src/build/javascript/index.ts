export { buildJavaScript, type JsBuildOptions } from './build-javascript.js';
export { findJsEntry, isTypeScript, JS_EXTENSIONS } from './js-entry.js';
export { jsEngine, type JsEngine } from './quickjs-engine.js';
