import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseProviderConfig } from './provider-config.ts';

const ok = `providers:
  - name: openai
    type: openai
    api_key: \${OPENAI_API_KEY}
    models: [gpt-4o]
  - name: local
    type: openai-compatible
    base_url: http://10.0.0.5:8000/v1
routes:
  smart:
    - openai/gpt-4o
    - provider: local
      model: org/llama
`;

function error(text: string): string {
  try {
    parseProviderConfig(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

describe('parseProviderConfig', () => {
  it('parses a valid file with defaults and both target forms', () => {
    const cfg = parseProviderConfig(ok);
    assert.equal(cfg.providers[0]!.timeout, 60);
    assert.equal(cfg.providers[0]!.max_retries, 2);
    assert.equal(cfg.providers[0]!.api_key, '${OPENAI_API_KEY}', 'references stay unexpanded');
    assert.deepEqual(cfg.routes.smart, [
      { provider: 'openai', model: 'gpt-4o' },
      { provider: 'local', model: 'org/llama' },
    ]);
    assert.equal(cfg.server.max_body_bytes, 10 * 1024 * 1024);
    assert.equal(cfg.server.memory_budget_bytes, 128 * 1024 * 1024);
    assert.equal(cfg.server.max_response_bytes, 64 * 1024 * 1024);
    assert.equal(cfg.server.max_event_bytes, 8 * 1024 * 1024);
    assert.equal(cfg.server.max_connections, 6000);
    assert.equal(cfg.server.write_timeout, 60);
  });

  it('splits "provider/model" at the first slash only', () => {
    const cfg = parseProviderConfig('providers:\n  - {name: p, type: openai}\nroutes:\n  r: [p/meta/llama-3]\n');
    assert.deepEqual(cfg.routes.r, [{ provider: 'p', model: 'meta/llama-3' }]);
  });

  const cases: [string, string, string][] = [
    [
      'invalid base_url',
      'providers:\n  - name: a\n    type: openai\n  - name: b\n    type: openai-compatible\n    base_url: nope\n',
      'provider-config.yaml:6 providers[1].base_url: invalid URL',
    ],
    [
      'ftp base_url',
      'providers:\n  - name: a\n    type: openai\n    base_url: ftp://x\n',
      'provider-config.yaml:4 providers[0].base_url: invalid URL',
    ],
    [
      'base_url with credentials (never printed)',
      'providers:\n  - name: a\n    type: openai-compatible\n    base_url: https://alice:s3cr3t-pw@llm.example/v1\n',
      'provider-config.yaml:4 providers[0].base_url: must not contain a user name or password (user:secret@); put the key in api_key as ${VARIABLE}',
    ],
    [
      'base_url with a user name only',
      'providers:\n  - name: a\n    type: openai-compatible\n    base_url: http://token-abc@10.0.0.5:8000/v1\n',
      'provider-config.yaml:4 providers[0].base_url: must not contain a user name or password',
    ],
    [
      'unknown key',
      'providers:\n  - name: a\n    type: openai\n    apikey: x\n',
      'provider-config.yaml:4 providers[0].apikey: unknown key "apikey"',
    ],
    [
      'unknown top-level key',
      'providers:\n  - name: a\n    type: openai\nroute: {}\n',
      'provider-config.yaml:4 route: unknown key "route"',
    ],
    [
      'bad type',
      'providers:\n  - name: a\n    type: gemini\n',
      'provider-config.yaml:3 providers[0].type: expected one of openai, openai-compatible, anthropic, azure-openai, echo',
    ],
    ['missing name', 'providers:\n  - type: openai\n', 'provider-config.yaml:2 providers[0].name: missing'],
    [
      'name with slash',
      'providers:\n  - name: a/b\n    type: openai\n',
      'provider-config.yaml:2 providers[0].name: use letters',
    ],
    [
      'missing base_url',
      'providers:\n  - name: a\n    type: azure-openai\n',
      'provider-config.yaml:2 providers[0].base_url: required for type azure-openai',
    ],
    [
      'echo with key',
      'providers:\n  - name: e\n    type: echo\n    api_key: x\n',
      'provider-config.yaml:4 providers[0].api_key: the echo provider takes no base_url or api_key',
    ],
    [
      'negative timeout',
      'providers:\n  - name: a\n    type: openai\n    timeout: -1\n',
      'provider-config.yaml:4 providers[0].timeout: must be more than 0 seconds',
    ],
    [
      'string timeout',
      'providers:\n  - name: a\n    type: openai\n    timeout: 10s\n',
      'provider-config.yaml:4 providers[0].timeout: expected a number of seconds',
    ],
    [
      'fractional retries',
      'providers:\n  - name: a\n    type: openai\n    max_retries: 1.5\n',
      'provider-config.yaml:4 providers[0].max_retries: expected a whole number',
    ],
    [
      'too many retries',
      'providers:\n  - name: a\n    type: openai\n    max_retries: 11\n',
      'provider-config.yaml:4 providers[0].max_retries:',
    ],
    [
      'reserved header',
      'providers:\n  - name: a\n    type: openai\n    headers:\n      Authorization: x\n',
      'provider-config.yaml:5 providers[0].headers.Authorization: this header is set by the proxy',
    ],
    [
      'duplicate provider',
      'providers:\n  - name: a\n    type: openai\n  - name: a\n    type: anthropic\n',
      'provider-config.yaml:4 providers[1].name: duplicate provider name "a"',
    ],
    [
      'unknown route provider',
      'providers:\n  - name: a\n    type: openai\nroutes:\n  r:\n    - a/x\n    - b/y\n',
      'provider-config.yaml:7 routes.r[1]: unknown provider "b" (defined: a)',
    ],
    [
      'bad target',
      'providers:\n  - name: a\n    type: openai\nroutes:\n  r: [justamodel]\n',
      'provider-config.yaml:5 routes.r[0]: expected "provider/model" or {provider, model}',
    ],
    [
      'empty route',
      'providers:\n  - name: a\n    type: openai\nroutes:\n  r: []\n',
      'provider-config.yaml:5 routes.r: a route needs at least one target',
    ],
    ['no providers', 'providers: []\n', 'provider-config.yaml:1 providers: at least one provider is needed'],
    ['providers not a list', 'providers: {a: 1}\n', 'provider-config.yaml:1 providers: expected a list of providers'],
    ['empty file', '# nothing\n', 'provider-config.yaml:1 the file is empty'],
    ['yaml syntax', 'providers:\n  - name: a\n   type: x\n', 'provider-config.yaml:3 YAML syntax:'],
    [
      'duplicate key',
      'providers:\n  - name: a\n    name: b\n    type: openai\n',
      'provider-config.yaml:3 YAML syntax:',
    ],
    [
      'server limit',
      'providers:\n  - name: a\n    type: openai\nserver:\n  max_body_bytes: 10\n',
      'provider-config.yaml:5 server.max_body_bytes:',
    ],
    [
      'a body cap the memory budget cannot hold',
      'providers:\n  - name: a\n    type: openai\nserver:\n  max_body_bytes: 20971520\n',
      'provider-config.yaml:5 server.max_body_bytes: 7 x max_body_bytes (one request read and parsed) must fit in 7/8 of memory_budget_bytes; raise memory_budget_bytes to at least 167772160',
    ],
    [
      'an answer cap the memory budget cannot hold',
      'providers:\n  - name: a\n    type: openai\nserver:\n  memory_budget_bytes: 33554432\n  max_body_bytes: 1048576\n',
      'provider-config.yaml:5 server.max_response_bytes: max_response_bytes must fit in 7/8 of memory_budget_bytes',
    ],
    [
      'rate limit',
      'providers:\n  - name: a\n    type: openai\nserver:\n  rate_limit: {burst: 3}\n',
      'provider-config.yaml:5 server.rate_limit.requests_per_minute: missing',
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(`reports ${name} with file, line and path`, () => {
      const message = error(text);
      assert.ok(message.startsWith(expected), `got: ${message}`);
    });
  }

  it('never prints the credentials of a refused base_url', () => {
    const message = error(
      'providers:\n  - name: a\n    type: openai-compatible\n    base_url: https://alice:s3cr3t-pw@llm.example/v1\n',
    );
    assert.doesNotMatch(message, /alice|s3cr3t|llm\.example/);
    assert.doesNotMatch(message, /\n/, 'one line');
  });

  it('uses the given file name', () => {
    assert.match(error('providers: []\n').replace('provider-config.yaml', 'X'), /^X:1/);
    assert.throws(() => parseProviderConfig('providers: []\n', 'other.yaml'), /^ConfigError: other\.yaml:1 /);
  });
});
