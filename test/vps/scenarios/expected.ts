// Facts about the release under test, filled in by the suite's before() hook, read by scenarios.
export const expected = {
  /** version in pkg/ai-proxy-release.tar.gz's manifest */
  version: '',
};
