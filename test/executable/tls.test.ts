// test/integration/tls.test.ts against the release executable (test/integration/target.ts).
import { useExecutable } from '../integration/target.ts';

if (await useExecutable('tls')) await import('../integration/tls.test.ts');
