import { randomUUID } from 'node:crypto';
import { createLogger } from '@fengcheng/platform';
import { describe, it } from 'vitest';
import { describeEventStoreContract } from '../contract/event-store.contract';
import { createEventStoreDbEventStore } from './eventstoredb.adapter';

/**
 * The contract suite on EventStoreDB: against EVENTSTORE_URL when set; else against a
 * container testcontainers starts when a Docker engine answers; else one skipped test that
 * says so, in the test report and on stderr.
 */
const SKIP_MESSAGE =
  'EventStoreDB contract suite SKIPPED: set EVENTSTORE_URL=esdb://host:2113?tls=false or run a Docker engine';
const IMAGE = 'eventstore/eventstore:24.10';

async function dockerAnswers(): Promise<boolean> {
  // Imported outside the try: a testcontainers that cannot load on this Node fails the file
  // (it once needed Node 22 and read as "no Docker engine" on Node 20) instead of skipping it.
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    const runtime = await getContainerRuntimeClient();
    return Boolean(await runtime.info);
  } catch {
    return false;
  }
}

async function serverUrl(): Promise<{ url: string; stop: () => Promise<void> } | null> {
  const configured = process.env.EVENTSTORE_URL;
  if (configured) return { url: configured, stop: async () => {} };
  if (!(await dockerAnswers())) return null;
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(IMAGE)
    .withEnvironment({
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_MEM_DB: 'true',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
      EVENTSTORE_CLUSTER_SIZE: '1',
    })
    .withExposedPorts(2113)
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
    .withStartupTimeout(120_000)
    .start();
  return {
    url: `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`,
    stop: async () => {
      await container.stop();
    },
  };
}

const server = await serverUrl();

if (!server) {
  process.stderr.write(`${SKIP_MESSAGE}\n`);
  describe('eventstoredb', () => {
    it.skip(SKIP_MESSAGE, () => {});
  });
} else {
  const logger = createLogger({ name: 'eventstoredb-contract', level: process.env.LOG_LEVEL ?? 'warn' });
  describeEventStoreContract(
    'eventstoredb',
    async () => {
      // A namespace per suite run: a shared server's `$all` holds other runs' events.
      const namespace = `t${randomUUID().replaceAll('-', '')}`;
      const open = () =>
        createEventStoreDbEventStore({
          connectionString: server.url,
          logger,
          namespace,
          backoff: { initialMs: 50, maxMs: 1_000 },
        });
      const store = open();
      return {
        store,
        cleanup: async () => {
          await store.close();
          await server.stop();
        },
        reopen: async () => open(),
      };
    },
    { concurrentWriters: true },
  );
}
