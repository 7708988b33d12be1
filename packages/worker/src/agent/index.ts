/** The Worker's link side: persistent authenticated connections to its Cores. */
export { WorkerAgent } from './worker-agent.js';
export type { CoreStatus, WorkerAgentOptions } from './worker-agent.js';
export { CoreConnection, ConnectionState, webSocketDialer } from './core-connection.js';
export type { AgentRuntime, AgentLogger } from './agent-runtime.js';
export { SILENT_AGENT_LOGGER } from './agent-runtime.js';
export { defaultWorkerName, WORKER_ID_FILE } from './worker-name.js';
