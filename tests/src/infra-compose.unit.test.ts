import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * infra/docker-compose.yml must give every service each variable its config module requires
 * (REQUIRED_ENV, exported by each service's package). No YAML parser is installed, so the
 * compose file keeps each `environment:` block in `KEY: value` lines, read here.
 */
const composeText = readFileSync(new URL('../../infra/docker-compose.yml', import.meta.url), 'utf8');

/** `environment:` of each service under `services:`, as written (values unexpanded). */
function environmentsOf(yaml: string): Map<string, Map<string, string>> {
  const result = new Map<string, Map<string, string>>();
  let inServices = false;
  let service: string | undefined;
  let inEnvironment = false;
  for (const raw of yaml.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      inServices = line === 'services:';
      service = undefined;
      inEnvironment = false;
      continue;
    }
    if (!inServices) continue;
    if (indent === 2) {
      service = line.trim().replace(/:$/, '');
      result.set(service, new Map());
      inEnvironment = false;
    } else if (indent === 4) {
      inEnvironment = line.trim() === 'environment:';
    } else if (indent === 6 && inEnvironment && service) {
      const match = /^([A-Z][A-Z0-9_]*):\s*(.*)$/.exec(line.trim());
      if (!match) throw new Error(`environment of ${service} is not in KEY: value form: ${line.trim()}`);
      result.get(service)?.set(match[1]!, match[2]!.replace(/^"(.*)"$/, '$1'));
    }
  }
  return result;
}

/** What each service's config module requires: every service package exports REQUIRED_ENV. */
const SERVICES = [
  { compose: 'ingest-api', pkg: '@fengcheng/ingest-api' },
  { compose: 'projector', pkg: '@fengcheng/projector' },
  { compose: 'query-api', pkg: '@fengcheng/query-api' },
] as const;

async function requiredEnv(pkg: string): Promise<readonly string[]> {
  const module = (await import(/* @vite-ignore */ pkg)) as { REQUIRED_ENV?: readonly string[] };
  if (!module.REQUIRED_ENV) throw new Error(`${pkg} does not export REQUIRED_ENV`);
  return module.REQUIRED_ENV;
}

const environments = environmentsOf(composeText);

/** Compose's `${NAME:?message}` (required from the operator) and `${NAME:-default}`, built to keep lint calm. */
const requiredFromOperator = (name: string) => `$\{${name}:?set ${name}}`;
const withDefault = (name: string, value: string) => `$\{${name}:-${value}}`;

describe('infra/docker-compose.yml', () => {
  it('reads the environment of every service', () => {
    expect([...environments.keys()].sort()).toEqual([
      'eventstoredb',
      'ingest-api',
      'postgres',
      'projector',
      'query-api',
    ]);
    expect(environments.get('ingest-api')?.get('PORT')).toBe('3000');
  });

  for (const { compose, pkg } of SERVICES) {
    it(`gives ${compose} every variable its config requires`, async () => {
      const required = await requiredEnv(pkg);
      expect(required.length).toBeGreaterThan(0);
      const provided = environments.get(compose);
      expect(provided, `${compose} is missing from the compose file`).toBeDefined();
      const missing = required.filter((name) => !provided?.get(name));
      expect(missing).toEqual([]);
    });

    it(`switches ${compose} to EventStoreDB and names its service, port and log level`, () => {
      const env = environments.get(compose);
      expect(env?.get('EVENTSTORE_URL')).toBe('esdb://eventstoredb:2113?tls=false');
      expect(env?.get('DATABASE_URL')).toMatch(
        /^postgres:\/\/fengcheng:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\/fengcheng$/,
      );
      expect(env?.get('FENGCHENG_SERVICE')).toBe(compose);
      expect(env?.get('PORT')).toBe('3000');
      expect(env?.get('LOG_LEVEL')).toBe(withDefault('LOG_LEVEL', 'info'));
      expect(env?.get('FENGCHENG_MASTER_KEY')).toBe(requiredFromOperator('FENGCHENG_MASTER_KEY'));
    });
  }

  it('takes the admin key from the operator for both APIs, never from the file', () => {
    for (const service of ['ingest-api', 'query-api']) {
      expect(environments.get(service)?.get('FENGCHENG_ADMIN_KEY')).toBe(
        requiredFromOperator('FENGCHENG_ADMIN_KEY'),
      );
    }
  });

  it('gives every service a health check', () => {
    const blocks = composeText.split(/\n {2}(?=[a-z-]+:\n)/).slice(1);
    const withHealth = blocks
      .filter((block) => /\n {4}healthcheck:/.test(block))
      .map((block) => block.slice(0, block.indexOf(':')));
    expect(withHealth.sort()).toEqual(['eventstoredb', 'ingest-api', 'postgres', 'projector', 'query-api']);
  });
});

describe('the compose reader', () => {
  it('refuses an environment written as a list, which it could not check', () => {
    expect(() => environmentsOf('services:\n  a:\n    environment:\n      - X=1\n')).toThrow(/KEY: value/);
  });

  it('ignores comments and anchors outside environment blocks', () => {
    const env = environmentsOf(
      'x-a: &a\n  init: true\nservices:\n  a:\n    <<: *a\n    environment:\n      # c\n      X: "1"\n      Y: two # note\n',
    );
    expect([...(env.get('a') ?? new Map())]).toEqual([
      ['X', '1'],
      ['Y', 'two'],
    ]);
  });
});
