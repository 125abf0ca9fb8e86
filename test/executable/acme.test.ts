// test/integration/acme.test.ts against the release executable (test/integration/target.ts).
import { useExecutable } from '../integration/target.ts';

if (await useExecutable('acme')) await import('../integration/acme.test.ts');
