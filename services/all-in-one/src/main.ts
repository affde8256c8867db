import { startAllInOne } from './all-in-one';

/**
 * `npm start`: the whole of Fengcheng in one process, no configuration needed. Pino writes
 * its lines as usual; the banner below is for the person at the terminal.
 */
async function main() {
  const running = await startAllInOne();
  const lines = [
    '',
    '  凤城 Fengcheng is running',
    `  URL          ${running.url}   (API docs: ${running.url}/docs)`,
    `  data         ${running.dataLocation}`,
  ];
  const master = running.masterKeySource;
  if (master.kind === 'file') {
    lines.push(
      `  master key   ${master.path}${master.created ? '   (generated now)' : ''}`,
      '               encrypts personal data; back it up and keep it owner-only — lose it and the data is unreadable',
      '               in production set FENGCHENG_MASTER_KEY instead',
    );
  } else if (master.kind === 'configured') {
    lines.push('  master key   FENGCHENG_MASTER_KEY');
  } else {
    lines.push('  master key   in memory only, like the data (memory://)');
  }
  if (running.adminKey) {
    lines.push(
      `  admin key    ${running.adminKey}`,
      '               shown this once — keep it; it is stored only as a hash',
    );
  } else {
    lines.push('  admin key    the one printed on the first run, or FENGCHENG_ADMIN_KEY');
  }
  if (running.demo) {
    lines.push(
      `  demo         ${running.demo.events} events loaded from the Yinchuan article`,
      `               try: curl -H "Authorization: Bearer <admin key>" ${running.url}/v1/stats/service-instances?groupBy=county`,
    );
  }
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `fengcheng failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
