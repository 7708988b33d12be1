/** The one-command platform: Core + one Worker in this process (`npm start`, `fl up`). */
export { runPlatform } from './run-platform.js';
export type { RunningPlatform, RunPlatformOptions } from './run-platform.js';
