// The behaviours the mutation check (scripts/mutation-check.mjs) breaks on purpose, one entry
// each: the exact fragment to replace in a file, and the tests (by exact title) that must then fail.
// A row of docs/testing.md's mutation table goes with each entry.

/**
 * @typedef {{ file: string, find: string, replace: string }} Edit
 * @typedef {{ file: string, name: string }} Expected  a test (its exact title) that must fail
 * @typedef {{ id: string, behaviour: string, edits: Edit[], fails: Expected[] }} Mutation
 * @type {Mutation[]}
 */
export const MUTATIONS = [
  {
    id: 'abort-cancels-upstream',
    behaviour: 'the upstream request is cancelled when the client goes away',
    edits: [
      {
        file: 'src/upstream/exchange.ts',
        find: "this.controller?.abort(new Error('client closed the request'));",
        replace: '// mutant: a client that leaves no longer cancels the upstream request',
      },
    ],
    fails: [
      {
        file: 'test/integration/resilience.test.ts',
        name: 'cancels the upstream request when the client goes away mid-stream',
      },
      {
        file: 'test/integration/resilience.test.ts',
        name: 'cancels the upstream request when the client goes away before the answer',
      },
    ],
  },
  {
    id: 'fallback-after-500',
    behaviour: 'a target that keeps answering 500 falls back to the next target of the route',
    edits: [
      {
        file: 'src/proxy/try-target.ts',
        find: '    if (delayMs === undefined) return failure.error;',
        replace:
          '    if (delayMs === undefined) throw failure.error; // mutant: no fallback once the retries are spent',
      },
    ],
    fails: [
      {
        file: 'test/integration/resilience.test.ts',
        name: 'retries a 500, then falls back to the next target of the route',
      },
    ],
  },
  {
    id: 'body-limit-413',
    behaviour: 'a body over max_body_bytes is refused with 413',
    edits: [
      {
        file: 'src/proxy/handle-api.ts',
        find: '  const limit = rt.settings.max_body_bytes;\n',
        replace: '  const limit = Number.MAX_SAFE_INTEGER; // mutant: no body limit\n',
      },
    ],
    fails: [
      { file: 'test/integration/resilience.test.ts', name: 'answers 413 to a body over the limit' },
      {
        file: 'test/integration/resilience.test.ts',
        name: 'answers 413 to a large body still being sent, without a connection reset',
      },
    ],
  },
  {
    id: 'token-scrubbed-from-logs',
    behaviour: 'the client token and provider keys never reach the logs',
    edits: [
      {
        file: 'src/observability/logger.ts',
        find: 'if (this.secrets.length > 0) line = this.scrub(line);',
        replace: '// mutant: log lines are no longer scrubbed',
      },
    ],
    fails: [
      { file: 'test/integration/process.test.ts', name: 'never writes the client token or a provider key to its logs' },
    ],
  },
  {
    id: 'rollback-restores-env',
    behaviour: 'a rollback puts .env back byte for byte (the restore is registered)',
    edits: [
      {
        file: 'installer/steps/configure.ts',
        find: '      undo({ label: `restore ${join(configDir, name)}`, run: () => restoreConfigFile(configDir, name, current, gid) });\n',
        replace: '      // mutant: the changed file is not restored on rollback\n',
      },
    ],
    fails: [
      {
        file: 'installer/steps/configure.test.ts',
        name: 'a later step failing restores .env and provider-config.yaml byte for byte',
      },
    ],
  },
  {
    id: 'rollback-restores-env-bytes',
    behaviour: 'a rollback puts .env back byte for byte (not a normalised text)',
    edits: [
      {
        file: 'installer/config-files/config-dir.ts',
        find: '  writeConfigFile(configDir, name, previous, gid);\n}',
        replace:
          "  writeConfigFile(configDir, name, previous.toString('utf8').replace(/\\r\\n/g, '\\n'), gid); // mutant: line ends normalised\n}",
      },
    ],
    fails: [
      {
        file: 'installer/steps/configure.test.ts',
        name: 'a later step failing restores .env and provider-config.yaml byte for byte',
      },
    ],
  },
  {
    id: 'signal-stops-its-step',
    behaviour: 'a Ctrl-C stops the installer step it arrives in, before a later step changes the host',
    edits: [
      {
        file: 'installer/flows/run-steps.ts',
        find: '      await signalsDelivered();\n',
        replace: '      // mutant: the next step starts before a pending signal is seen\n',
      },
    ],
    fails: [
      {
        file: 'installer/flows/run-steps.test.ts',
        name: 'a real SIGINT sent while a step does no I/O stops that step, not a later one',
      },
    ],
  },
  {
    id: 'alone-on-its-port-exits-at-once',
    behaviour: 'a proxy alone on its port does not hold its exit back for idle keep-alive connections',
    edits: [
      {
        file: 'src/cli/serve.ts',
        find: 'return shared || delaySeconds > 0 ? IDLE_GRACE_MS : 0;',
        replace: "return IDLE_GRACE_MS; // mutant: always the shared port's grace",
      },
    ],
    fails: [
      {
        file: 'test/integration/drain-alone.test.ts',
        name: 'closes an idle keep-alive connection at once and exits, instead of waiting for the idle grace',
      },
    ],
  },
  {
    id: 'console-csrf-token',
    behaviour: "a console change without the session's CSRF token is refused",
    edits: [
      {
        file: 'src/console/api.ts',
        find: "      if (!sameToken(typeof token === 'string' ? token : undefined, c.session.csrf))\n",
        replace: '      if (false) // mutant: the CSRF token is not checked\n',
      },
    ],
    fails: [
      {
        file: 'src/console/app.test.ts',
        name: 'refuses changes without the CSRF token, with a forged one, or from another site',
      },
    ],
  },
  {
    id: 'console-sign-in-limit',
    behaviour: 'console sign-ins stop after too many failures from one address',
    edits: [
      {
        file: 'src/console/api.ts',
        find: '  const wait = c.limiter.retryAfter(address);\n',
        replace: '  const wait = 0; // mutant: failed sign-ins are never limited\n',
      },
    ],
    fails: [
      {
        file: 'src/console/app.test.ts',
        name: 'limits failed sign-ins per address (429 with Retry-After), logging each failure and the refusals as a count',
      },
    ],
  },
  {
    id: 'swarm-stop-grace',
    behaviour: "a Swarm task's stop grace period covers its drain (Swarm's 10 s default SIGKILLs streams)",
    edits: [
      {
        file: 'installer/engine/service-spec.ts',
        find: '        StopGracePeriod: stopGraceSeconds(drain) * SECOND,\n',
        replace: '        StopGracePeriod: 10 * SECOND, // mutant: Swarm kills a draining task after 10 s\n',
      },
    ],
    fails: [
      {
        file: 'installer/engine/service-spec.test.ts',
        name: 'a task is never killed while it drains: the stop grace period covers DRAIN_DELAY, then DRAIN_TIMEOUT',
      },
    ],
  },
  {
    id: 'swarm-ready-check',
    behaviour:
      'a Swarm task counts as healthy only once ready (what a load balancer checks), so a never-ready update rolls back',
    edits: [
      {
        file: 'src/cli/healthcheck.ts',
        find: "argv.includes('--ready') ? '/health/ready' : '/health/live'",
        replace: "'/health/live' // mutant: --ready asks liveness",
      },
    ],
    fails: [
      {
        file: 'test/integration/process.test.ts',
        name: 'healthcheck --ready fails while the proxy would not be sent traffic (no usable provider); without it, it passes',
      },
    ],
  },
];
