import type { Logger } from '@fengcheng/platform';
import type { ReadAllOptions, RecordedEvent, SubscribeOptions, Subscription } from './port';

/** What a catch-up-then-live subscription needs from an adapter. */
export interface SubscriptionSource {
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * True when events after `position` have committed but are not yet readable (an older
   * writing transaction still runs): worth a quick re-read rather than a full poll wait.
   */
  heldBack?(position: bigint): Promise<boolean>;
  /** Registers a wake-up (a notification that something may have been appended). */
  onWake(listener: () => void): () => void;
  pollIntervalMs: number;
  logger?: Logger | undefined;
}

const HELD_BACK_RETRY_MS = 5;
/**
 * The longest wait between re-reads while rows are held back. Not the poll interval: the rows
 * have committed, and when the transaction that hides them ends nothing notifies (their NOTIFY
 * went out at their commit), so a subscriber with a long poll would sleep through it.
 */
const HELD_BACK_MAX_WAIT_MS = 250;
const MAX_CONSECUTIVE_READ_FAILURES = 10;

/**
 * Reads in batches from a checkpoint and hands each batch over in position order; when
 * caught up, sleeps until woken or until the poll interval passes.
 */
export class PollingSubscription implements Subscription {
  private current: bigint;
  private stopped = false;
  private wakeCount = 0;
  private sleeper: (() => void) | undefined;
  private readonly waiters = new Set<{ target: bigint; settle: (reached: boolean) => void }>();
  readonly done: Promise<void>;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeOptions,
  ) {
    this.current = options.after ?? 0n;
    this.done = this.run();
    // `done` is for whoever awaits it; an unobserved failure must not crash the process.
    this.done.catch(() => undefined);
  }

  get position(): bigint {
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper?.();
    await this.done.catch(() => undefined);
  }

  waitFor(position: bigint, timeoutMs = 5_000): Promise<boolean> {
    if (this.current >= position) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        target: position,
        settle: (reached: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.settle(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private wake = (): void => {
    this.wakeCount++;
    this.sleeper?.();
  };

  private async run(): Promise<void> {
    const unsubscribe = this.source.onWake(this.wake);
    const batchSize = this.options.batchSize ?? 500;
    let failures = 0;
    // Consecutive empty reads with rows held back: the re-read backs off from 5 ms to 250 ms
    // (or the poll interval, if shorter), so a long transaction elsewhere does not turn into a
    // busy loop.
    let heldBackReads = 0;
    try {
      while (!this.stopped) {
        const wakesBefore = this.wakeCount;
        let batch: RecordedEvent[];
        try {
          batch = await this.source.readAll({ after: this.current, limit: batchSize });
          failures = 0;
        } catch (error) {
          if (this.stopped) break;
          failures++;
          if (failures >= MAX_CONSECUTIVE_READ_FAILURES) throw error;
          this.source.logger?.warn(
            { err: error, position: this.current, failures },
            'subscription read failed',
          );
          await this.sleep(this.source.pollIntervalMs);
          continue;
        }
        if (this.stopped) break;
        const last = batch.at(-1);
        if (last) {
          heldBackReads = 0;
          await this.options.handle(batch);
          this.current = last.position;
          for (const waiter of this.waiters) if (this.current >= waiter.target) waiter.settle(true);
          continue;
        }
        if (this.wakeCount !== wakesBefore) continue;
        const heldBack = this.source.heldBack
          ? await this.source.heldBack(this.current).catch(() => false)
          : false;
        if (this.stopped || this.wakeCount !== wakesBefore) continue;
        heldBackReads = heldBack ? heldBackReads + 1 : 0;
        await this.sleep(
          heldBack
            ? Math.min(
                this.source.pollIntervalMs,
                HELD_BACK_MAX_WAIT_MS,
                HELD_BACK_RETRY_MS * 2 ** (heldBackReads - 1),
              )
            : this.source.pollIntervalMs,
        );
      }
    } finally {
      this.stopped = true;
      unsubscribe();
      for (const waiter of this.waiters) waiter.settle(this.current >= waiter.target);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.sleeper = () => {
        this.sleeper = undefined;
        done();
      };
    });
  }
}
