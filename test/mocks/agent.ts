// The scripted tool loop every agent mock plays, whatever its wire format: on the first turn the
// model calls the agent's shell tool with the test's command; once the tool's result comes back,
// it answers with that result. The answer can only hold the command's output if the agent really
// ran the command and sent the output back through the proxy.

export interface AgentScript {
  /** The shell command the model asks the agent to run. */
  command: string;
}

/** What the final answer starts with; the tool's output follows. */
export const AGENT_ANSWER_PREFIX = 'The command printed: ';

interface ShellTool {
  /** The tool's name as the agent declares it. */
  name: string;
  /** The call's input for a command. */
  input(command: string): Record<string, unknown>;
}

// The shell tools of the agents under test: Claude Code's Bash, Codex's exec_command (and the
// older `shell` with an argv array).
const SHELL_TOOLS: ShellTool[] = [
  { name: 'Bash', input: (command) => ({ command, description: 'Run the test command' }) },
  { name: 'exec_command', input: (cmd) => ({ cmd }) },
  { name: 'shell', input: (command) => ({ command: ['bash', '-lc', command] }) },
];

/** The agent's shell tool among the names a request declares, if any. */
export function findShellTool(names: string[]): ShellTool | undefined {
  return SHELL_TOOLS.find((t) => names.includes(t.name));
}

/** Tool output text from a string or a list of text parts/blocks. */
export function toolOutputText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as { text?: unknown }[]).map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
}

export function agentAnswer(toolOutput: string): string {
  return `${AGENT_ANSWER_PREFIX}${toolOutput.trim()}`;
}
