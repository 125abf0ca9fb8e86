import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readDockerfilePorts, setDockerfilePort } from './dockerfile.ts';

const RELEASE_DOCKERFILE = readFileSync(new URL('../../release-template/Dockerfile', import.meta.url), 'utf8');

test('rewrites EXPOSE and the HEALTHCHECK port of the release Dockerfile, and nothing else', () => {
  assert.deepEqual(readDockerfilePorts(RELEASE_DOCKERFILE), { expose: 8080, healthcheck: 8080 });
  const updated = setDockerfilePort(RELEASE_DOCKERFILE, 9443);
  assert.deepEqual(readDockerfilePorts(updated), { expose: 9443, healthcheck: 9443 });
  const changed = updated.split('\n').filter((line, i) => line !== RELEASE_DOCKERFILE.split('\n')[i]);
  assert.deepEqual(changed, [
    'EXPOSE 9443',
    'HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD ["/app/ai-proxy","healthcheck","--port","9443"]',
  ]);
});

test('refuses a Dockerfile whose port lines are not the agreed form', () => {
  assert.throws(() => setDockerfilePort('FROM scratch\n', 80), /exactly one EXPOSE/);
  assert.throws(
    () => setDockerfilePort('EXPOSE 1\nEXPOSE 2\nHEALTHCHECK CMD ["x","--port","1"]\n', 80),
    /exactly one EXPOSE/,
  );
  assert.throws(
    () => setDockerfilePort('EXPOSE 8080\nHEALTHCHECK CMD curl localhost:8080\n', 80),
    /HEALTHCHECK does not end/,
  );
  assert.throws(
    () => setDockerfilePort('EXPOSE $PORT\nHEALTHCHECK CMD ["x","--port","1"]\n', 80),
    /EXPOSE line is not/,
  );
});
