/** The structured logger the cluster writes to (pino's shape). */
export interface ClusterLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const NOOP_LOGGER: ClusterLogger = { debug() {}, info() {}, warn() {}, error() {} };
