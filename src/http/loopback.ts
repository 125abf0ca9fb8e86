// Whether a connection comes from this machine (or container): the operator, or Docker's health
// probe. Both listeners (PORT and the TLS setup's HTTP_PORT) show their details only to it.
export function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
