// Deep imports of undici's CommonJS modules (no types are published for them).
declare module 'undici/lib/dispatcher/pool.js' {
  const Pool: unknown;
  export default Pool;
}
