import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, openDatabase } from '@fengcheng/platform';
import { Command, CommanderError } from 'commander';
import { rotateMasterKey } from './key-vault';
import { generateMasterKey, MASTER_KEY_ENV, MASTER_KEY_FILE, parseMasterKey } from './master-key';

export const NEW_MASTER_KEY_ENV = 'FENGCHENG_NEW_MASTER_KEY';
/** Written before the rotation commits, renamed over master.key after: a crash in between loses no key. */
const NEXT_KEY_FILE = 'master.key.next';

export interface CommandIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Opens the database (tests hand in an already-open one). */
  open?: (options: { url?: string; dataDir?: string; schema: string }) => Promise<Database>;
}

interface Options {
  databaseUrl?: string;
  dataDir?: string;
  schema: string;
  generate?: boolean;
}

/**
 * `rotate-master-key`: re-wraps every client data key under a new master key. Returns the
 * exit code. Stop the services first and start them again with the new key.
 */
export async function runRotateMasterKey(argv: string[], io: CommandIo): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('rotate-master-key')
    .description(
      [
        'Re-wrap every client data key under a new master key, in one transaction (all or none).',
        'Events are not touched: they are encrypted under the data keys, which stay the same.',
        '',
        'Server:   the old key from $FENGCHENG_MASTER_KEY, the new one from $FENGCHENG_NEW_MASTER_KEY',
        '          (or --generate, which prints a new key once). Then restart every service with',
        '          FENGCHENG_MASTER_KEY set to the new key.',
        'Embedded: --data-dir <folder>; the old key is <folder>/master.key (or $FENGCHENG_MASTER_KEY),',
        '          the new one $FENGCHENG_NEW_MASTER_KEY or generated, and master.key is replaced.',
        '',
        'Stop the services first: a process still holding the old key would wrap new clients under it.',
        'Running the command again after an interruption is safe.',
      ].join('\n'),
    )
    .option('--database-url <url>', 'Postgres server holding client_keys (default: $DATABASE_URL)')
    .option('--data-dir <folder>', 'embedded PGlite data folder (only while nothing else has it open)')
    .option('--schema <name>', 'schema of the event store and client_keys', 'public')
    .option('--generate', 'make the new master key here and print it once (server mode)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .action(async (options: Options) => {
      exitCode = await rotate(options, io);
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
  return exitCode;
}

async function rotate(options: Options, io: CommandIo): Promise<number> {
  const url = options.databaseUrl ?? blank(io.env.DATABASE_URL);
  const embedded = url === undefined;
  if (embedded && !options.dataDir) {
    io.err('give --database-url (or set DATABASE_URL), or --data-dir for an embedded database\n');
    return 2;
  }
  let oldKey: Buffer;
  let newKeyText: string | undefined;
  try {
    const oldText =
      blank(io.env[MASTER_KEY_ENV]) ??
      (embedded && existsSync(join(options.dataDir!, MASTER_KEY_FILE))
        ? readFileSync(join(options.dataDir!, MASTER_KEY_FILE), 'utf8')
        : undefined);
    if (oldText === undefined) {
      io.err(`${MASTER_KEY_ENV} is required: the master key the data keys are wrapped with now\n`);
      return 2;
    }
    oldKey = parseMasterKey(oldText, MASTER_KEY_ENV);
    const nextFile = embedded ? join(options.dataDir!, NEXT_KEY_FILE) : undefined;
    newKeyText =
      blank(io.env[NEW_MASTER_KEY_ENV]) ??
      (nextFile && existsSync(nextFile) ? readFileSync(nextFile, 'utf8').trim() : undefined) ??
      (options.generate || embedded ? generateMasterKey() : undefined);
    if (newKeyText === undefined) {
      io.err(`${NEW_MASTER_KEY_ENV} is required (or --generate): the master key to rotate to\n`);
      return 2;
    }
    parseMasterKey(newKeyText, NEW_MASTER_KEY_ENV);
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 2;
  }
  const newKey = Buffer.from(newKeyText, 'base64');
  if (newKey.equals(oldKey)) {
    io.err('the new master key is the old one\n');
    return 2;
  }

  const dataDir = options.dataDir;
  if (embedded) writeFileSync(join(dataDir!, NEXT_KEY_FILE), `${newKeyText}\n`, { mode: 0o600 });
  const open = io.open ?? ((o) => openDatabase(o));
  const database = await open({
    ...(url ? { url } : {}),
    ...(embedded ? { dataDir: dataDir! } : {}),
    schema: options.schema,
  });
  try {
    const result = await rotateMasterKey(database, oldKey, newKey);
    if (embedded) renameSync(join(dataDir!, NEXT_KEY_FILE), join(dataDir!, MASTER_KEY_FILE));
    io.out(
      `rotated: ${result.rewrapped} data keys re-wrapped, ${result.alreadyRotated} already under the new key, ${result.erased} erased clients\n`,
    );
    if (embedded) io.out(`the new master key is in ${join(dataDir!, MASTER_KEY_FILE)}\n`);
    else if (options.generate && blank(io.env[NEW_MASTER_KEY_ENV]) === undefined) {
      io.out(`new ${MASTER_KEY_ENV} (shown once; restart every service with it):\n  ${newKeyText}\n`);
    } else io.out(`restart every service with ${MASTER_KEY_ENV} set to the new key\n`);
    return 0;
  } catch (error) {
    if (embedded) {
      try {
        unlinkSync(join(dataDir!, NEXT_KEY_FILE));
      } catch {
        // Already gone.
      }
    }
    io.err(`rotation failed, nothing changed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    if (!io.open) await database.close();
  }
}

function blank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
