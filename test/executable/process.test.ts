// test/integration/process.test.ts against the release executable (test/integration/target.ts).
import { useExecutable } from '../integration/target.ts';

if (await useExecutable('process')) await import('../integration/process.test.ts');
