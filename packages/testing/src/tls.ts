import { fileURLToPath } from 'node:url';

const tlsDir = new URL('../../fixtures/tls/', import.meta.url);

/**
 * A self-signed certificate for `localhost` and `127.0.0.1` and its private key (PEM files; see
 * fixtures/tls/README.md), for the Core's optional HTTPS (`FL_TLS_CERT`, `FL_TLS_KEY`). A process
 * trusts it with `NODE_EXTRA_CA_CERTS=<certFile>`.
 */
export const TLS_FIXTURE = {
  certFile: fileURLToPath(new URL('localhost.crt', tlsDir)),
  keyFile: fileURLToPath(new URL('localhost.key', tlsDir)),
} as const;
