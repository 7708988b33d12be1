import { consoleLog } from './imports';

/** Writes one line to the invocation's logs (`fl_imps.__console_log`). */
export function log(message: string): void {
  consoleLog(message);
}
