// test/integration/resilience.test.ts against the release executable (test/integration/target.ts).
import { useExecutable } from '../integration/target.ts';

if (await useExecutable('resilience')) await import('../integration/resilience.test.ts');
