import type { ConnectionParams } from '../connections/index.js';
import type { Sink, SinkContext, SinkType } from './sink.js';

export interface WebhookSinkOptions {
  url: URL;
  headers: Record<string, string>;
}

/** POSTs each envelope as JSON to a URL; an answer that is not 2xx is a failed delivery. */
export class WebhookSink implements Sink {
  constructor(
    private readonly options: WebhookSinkOptions,
    private readonly context: SinkContext,
  ) {}

  start(): void {
    // Nothing stays open: each delivery is its own request.
    this.context.state.connected();
  }

  async deliver(envelope: Buffer): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { ...this.options.headers, 'content-type': 'application/json' },
        body: envelope,
        signal: AbortSignal.timeout(this.context.timeoutMs),
      });
    } catch (error) {
      const e = error as Error & { cause?: Error };
      const reason =
        e.name === 'TimeoutError'
          ? `no answer within ${this.context.timeoutMs} ms`
          : (e.cause?.message ?? e.message);
      throw new Error(`POST ${this.options.url.origin}${this.options.url.pathname}: ${reason}`);
    }
    // The body is not needed; reading it frees the connection for the next delivery.
    await response.arrayBuffer().catch(() => {});
    if (!response.ok) {
      throw new Error(
        `POST ${this.options.url.origin}${this.options.url.pathname} answered ${response.status}`,
      );
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const WEBHOOK_SINK: SinkType<WebhookSinkOptions> = {
  parse(params: ConnectionParams): WebhookSinkOptions {
    const url = params.url('url', ['http:', 'https:']);
    const headers = params.stringMap('headers') ?? {};
    for (const name of Object.keys(headers)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
        params.fail('headers', `has a name that is not an HTTP header name: ${JSON.stringify(name)}`);
    }
    params.done();
    return { url, headers };
  },
  create: (options, context) => new WebhookSink(options, context),
};
