import { CompiledQuery, type Kysely } from 'kysely';

/** When the embedded database checkpoints, as Postgres's checkpointer would decide it. */
export interface CheckpointLimits {
  /** How often the WAL written since the last checkpoint is looked at. Default 30 s. */
  intervalMs?: number;
  /** Checkpoint once this much WAL has been written since the last one. Default 256 MB. */
  maxWalBytes?: number;
  /** Checkpoint once the last one is this old and WAL has been written since. Default 5 min. */
  timeoutMs?: number;
}

const DEFAULTS: Required<CheckpointLimits> = {
  intervalMs: 30_000,
  maxWalBytes: 256 * 1024 * 1024,
  timeoutMs: 5 * 60_000,
};

/** The checkpoint record itself and a little more: less than this written since means nothing was. */
const IDLE_WAL_BYTES = 16 * 1024;

/**
 * Runs a checkpoint if one is due: `maxWalBytes` of WAL written since the last, or the last
 * older than `timeoutMs` with anything written since. Answers whether it ran one. Goes through
 * the dialect's hand-over, so it never lands inside another caller's transaction.
 */
export async function checkpointIfDue(db: Kysely<any>, limits: CheckpointLimits = {}): Promise<boolean> {
  const { maxWalBytes, timeoutMs } = { ...DEFAULTS, ...limits };
  const { rows } = await db.executeQuery<{ since: string; age: number }>(
    CompiledQuery.raw(
      `select (pg_current_wal_insert_lsn() - c.redo_lsn)::text as since,
              extract(epoch from now() - c.checkpoint_time)::float8 * 1000 as age
         from pg_control_checkpoint() c`,
    ),
  );
  const since = Number(rows[0]?.since ?? 0);
  const age = Number(rows[0]?.age ?? 0);
  if (since < maxWalBytes && !(since > IDLE_WAL_BYTES && age >= timeoutMs)) return false;
  await db.executeQuery(CompiledQuery.raw('checkpoint'));
  return true;
}

/**
 * PGlite is one Postgres backend with no checkpointer process beside it: nothing checkpoints
 * while it runs (only its shutdown does), and WAL can only be recycled behind a checkpoint, so
 * every write grew the WAL folder until the process stopped — 2.9 GB (185 segments) while
 * `npm start -- --yinchuan --scale 10` wrote 2.0 GB of tables, without bound for a ledger that
 * runs for months. This does the checkpointer's job: every `intervalMs` (unref'd: it keeps no
 * process alive) `checkpointIfDue`. `stop()` waits for a check under way.
 */
export function startCheckpoints(db: Kysely<any>, limits: CheckpointLimits = {}): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped) return;
    // A failed check (the database closing under it, say) is tried again at the next tick.
    running = running.then(() => (stopped ? false : checkpointIfDue(db, limits).catch(() => false)));
  }, limits.intervalMs ?? DEFAULTS.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
