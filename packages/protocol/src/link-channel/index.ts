export { ABNORMAL_CLOSE } from './link-channel.js';
export type {
  CoreChannel,
  LinkChannel,
  LinkChannelEvents,
  LinkDialer,
  WorkerChannel,
} from './link-channel.js';
export { WebSocketChannel } from './websocket-channel.js';
export type { LinkSocket } from './websocket-channel.js';
export { inProcessChannelPair } from './in-process-channel.js';
