// test/integration/openai-client.test.ts against the release executable (test/integration/target.ts).
import { useExecutable } from '../integration/target.ts';

if (await useExecutable('openai-client')) await import('../integration/openai-client.test.ts');
