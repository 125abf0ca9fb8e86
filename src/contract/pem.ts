// PEM blocks, as the proxy and the installer look for them before parsing anything.

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PRIVATE_KEY_HEADER = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Every certificate block of a PEM bundle, in order (the leaf first in a chain). */
export function certificateBlocks(text: string): string[] {
  return text.match(CERTIFICATE_BLOCK) ?? [];
}

/** True when the text has a PEM private key header (PKCS#8, RSA, EC, encrypted or not). */
export function hasPrivateKeyBlock(text: string): boolean {
  return PRIVATE_KEY_HEADER.test(text);
}
