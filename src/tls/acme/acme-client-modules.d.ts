// Deep imports of acme-client's CommonJS modules: its index also loads node-forge (its legacy
// crypto API, 370 KB in the bundle) that this proxy never uses. Types come from the package.
declare module 'acme-client/src/client.js' {
  import type { Client } from 'acme-client';
  const ClientClass: typeof Client;
  export default ClientClass;
}
declare module 'acme-client/src/crypto/index.js' {
  import type { CryptoInterface } from 'acme-client';
  const crypto: CryptoInterface;
  export default crypto;
}
declare module 'acme-client/src/axios.js' {
  import type { AxiosInstance } from 'axios';
  const instance: AxiosInstance;
  export default instance;
}
