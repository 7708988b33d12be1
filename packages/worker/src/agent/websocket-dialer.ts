import {
  decodeCoreFrame,
  LINK_PATH,
  LINK_PREJOIN_MAX_FRAME_BYTES,
  WebSocketChannel,
} from '@funless/protocol';
import type { CoreMessage, LinkDialer, WorkerMessage } from '@funless/protocol';
import WebSocket from 'ws';

/** The URL a Worker dials for a Core's URL: the link path is added when the URL has none. */
function linkUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = LINK_PATH;
  return parsed.toString();
}

/** Dials the Core at `url` (`ws://`, `http://`…) over WebSocket: the link between processes. */
export function webSocketDialer(url: string): LinkDialer {
  const target = linkUrl(url);
  return {
    url,
    dial: () =>
      new WebSocketChannel<WorkerMessage, CoreMessage>(
        new WebSocket(target, {
          // Until the Core has proved the secret, only small frames: sealing the link raises it.
          maxPayload: LINK_PREJOIN_MAX_FRAME_BYTES,
          perMessageDeflate: false,
          handshakeTimeout: 10_000,
        }),
        decodeCoreFrame,
        url,
      ),
  };
}
