// The one task every agent test gives: run a command whose output only a shell can produce.
import type { AgentScript } from '../mocks/agent.ts';

export const AGENT: AgentScript = { command: 'echo aip-$((6*7))-ok' };
export const TOOL_OUTPUT = 'aip-42-ok';
export const PROMPT = 'Run the test command with your shell tool and tell me what it printed.';
