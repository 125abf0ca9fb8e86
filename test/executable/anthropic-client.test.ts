// test/integration/anthropic-client.test.ts against the release executable (test/integration/target.ts).
import { useExecutable } from '../integration/target.ts';

if (await useExecutable('anthropic-client')) await import('../integration/anthropic-client.test.ts');
