/** The Worker's link side: persistent authenticated connections to its Cores. */
export { WorkerAgent } from './worker-agent.js';
export type { CoreStatus, WorkerAgentOptions } from './worker-agent.js';
export { CoreConnection } from './core-connection.js';
export { ConnectionState, LinkConnector } from './link-connector.js';
export { webSocketDialer } from './websocket-dialer.js';
export type { AgentRuntime, AgentLogger } from './agent-runtime.js';
export { SILENT_AGENT_LOGGER } from './agent-runtime.js';
export { defaultWorkerName, WORKER_ID_FILE } from './worker-name.js';
