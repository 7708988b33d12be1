/**
 * What to tell a user whose Worker or `fl` refused the Core's TLS certificate: both trust
 * certificates through Node's own `NODE_EXTRA_CA_CERTS` (see docs/configuration.md, "TLS").
 */

/** OpenSSL's and Node's codes for a certificate that does not verify. */
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/**
 * The message for `error` (or its `cause`) if it is a refused server certificate, else undefined:
 * what failed and how to make this process trust a self-signed or private certificate.
 */
export function untrustedCertificateMessage(error: unknown, server: string): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && UNTRUSTED.test(code)) {
      return (
        `the TLS certificate of ${server} is not trusted (${code}: ${e.message}); if it is self-signed ` +
        'or from a private CA, start this process with NODE_EXTRA_CA_CERTS set to its PEM file'
      );
    }
  }
  return undefined;
}
