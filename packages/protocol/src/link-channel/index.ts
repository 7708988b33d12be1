export { ABNORMAL_CLOSE } from './link-channel.js';
export type {
  CoreChannel,
  LinkChannel,
  LinkChannelEvents,
  LinkDialer,
  WorkerChannel,
} from './link-channel.js';
export { hasPrejoinFrameLimit, WebSocketChannel } from './websocket-channel.js';
export type { LinkSocket } from './websocket-channel.js';
export { inProcessChannelPair } from './in-process-channel.js';
export {
  FrameOpener,
  FrameSealer,
  LINK_MAX_SEALED_FRAME_BYTES,
  SEAL_BATCH_BYTES,
  SEAL_KEY_BYTES,
  SEAL_TAG_BYTES,
} from './frame-seal.js';
export type { LinkKeys } from './frame-seal.js';
