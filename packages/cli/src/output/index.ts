export { cellText, formatRecord, formatTable, type Column } from './table.js';
export { Progress, type ProgressStream } from './progress.js';
export { processIo, type CliIo, type OutStream } from './io.js';
