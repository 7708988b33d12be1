import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A local HTTP server that records every request and answers as `answer` says (201 with `{}`
 * by default): the webhook and CouchDB sinks' counterpart in tests.
 */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  answer: (request: ReceivedRequest, response: ServerResponse) => void = (_, response) => {
    response.writeHead(201, { 'content-type': 'application/json' }).end('{}');
  };
  readonly #server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.requests.push(received);
      this.answer(received, response);
    });
  });

  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as { port: number };
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
