import type { RecordedEvent, Subscription } from '../port';

/**
 * Where a subscription's events come from: every event strictly after `after`, in position
 * order, for as long as the source lives. It ends or throws when the connection drops, and
 * must end soon after `signal` aborts. EventStoreDB's `subscribeToAll` is one; tests pass
 * an in-memory one.
 */
export type SubscriptionSource = (after: bigint, signal: AbortSignal) => AsyncIterable<RecordedEvent>;

export interface Backoff {
  /** Delay before the first resubscription. Default 100 ms. */
  initialMs: number;
  /** Ceiling of the delay. Default 30 s. */
  maxMs: number;
  /** Growth per consecutive failed attempt. Default 2. */
  factor: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 100, maxMs: 30_000, factor: 2 };

/** Delay before resubscription attempt `attempt` (1-based): exponential, capped. */
export function backoffDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  const raw = backoff.initialMs * backoff.factor ** Math.max(0, attempt - 1);
  return Math.min(backoff.maxMs, raw);
}

export interface ResubscribingOptions {
  source: SubscriptionSource;
  handle: (events: RecordedEvent[]) => Promise<void>;
  /** Deliver events strictly after this position. Default 0n (the start). */
  after?: bigint;
  batchSize?: number;
  backoff?: Partial<Backoff>;
  /**
   * The durable checkpoint (the projector keeps it in Postgres, written with the read-model
   * change). When given, every (re)subscription starts from it rather than from memory.
   */
  loadCheckpoint?: () => Promise<bigint | null>;
  /** Injected so tests need not wait; resolves early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Resolves when no event is buffered; a batch is handed over then. */
  idle?: () => Promise<void>;
  onDrop?: (info: { error: unknown; attempt: number; delayMs: number; position: bigint }) => void;
}

class HandlerFailed {
  constructor(readonly cause: unknown) {}
}

const ABORTED: unique symbol = Symbol('aborted');
const IDLE: unique symbol = Symbol('idle');

function abortable(signal: AbortSignal): Promise<typeof ABORTED> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(ABORTED);
    else signal.addEventListener('abort', () => resolve(ABORTED), { once: true });
  });
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const defaultIdle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A subscription that survives drops: after any failure of its source it waits (exponential
 * back-off, reset once events flow again) and subscribes anew from its checkpoint. Only a
 * failure of `handle` ends it with an error.
 */
export class ResubscribingSubscription implements Subscription {
  readonly done: Promise<void>;
  private current: bigint;
  private readonly stopController = new AbortController();
  private readonly backoff: Backoff;
  private readonly batchSize: number;
  private waiters: Array<{ position: bigint; resolve: (reached: boolean) => void }> = [];

  constructor(private readonly options: ResubscribingOptions) {
    this.current = options.after ?? 0n;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.batchSize = Math.max(1, options.batchSize ?? 500);
    this.done = this.run().finally(() => this.settleWaiters());
  }

  get position(): bigint {
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    await this.done.catch(() => undefined);
  }

  waitFor(position: bigint, timeoutMs = 5_000): Promise<boolean> {
    if (this.current >= position) return Promise.resolve(true);
    if (this.stopController.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        position,
        resolve: (reached: boolean) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopping) {
      const connection = new AbortController();
      const onStop = () => connection.abort();
      this.stopController.signal.addEventListener('abort', onStop, { once: true });
      let error: unknown;
      const progress = { delivered: false };
      try {
        const checkpoint = this.options.loadCheckpoint ? await this.options.loadCheckpoint() : null;
        if (checkpoint !== null) this.current = checkpoint;
        await this.consume(this.options.source(this.current, connection.signal), connection.signal, progress);
        error = new Error('the subscription source ended');
      } catch (caught) {
        if (caught instanceof HandlerFailed) throw caught.cause;
        error = caught;
      } finally {
        this.stopController.signal.removeEventListener('abort', onStop);
        connection.abort();
      }
      if (this.stopping) return;
      attempt = progress.delivered ? 1 : attempt + 1;
      const delayMs = backoffDelay(attempt, this.backoff);
      this.options.onDrop?.({ error, attempt, delayMs, position: this.current });
      await (this.options.sleep ?? defaultSleep)(delayMs, this.stopController.signal);
    }
  }

  /** Hands the source's events to `handle` in batches until the source ends, fails or is aborted. */
  private async consume(
    events: AsyncIterable<RecordedEvent>,
    signal: AbortSignal,
    progress: { delivered: boolean },
  ): Promise<void> {
    const iterator = events[Symbol.asyncIterator]();
    const aborted = abortable(signal);
    const idle = this.options.idle ?? defaultIdle;
    try {
      let pending = iterator.next();
      // A source may fail while a batch is being handled; the failure is met at the next await.
      pending.catch(() => undefined);
      for (;;) {
        const first = await Promise.race([pending, aborted]);
        if (first === ABORTED || first.done) return;
        const batch: RecordedEvent[] = [];
        let next: IteratorResult<RecordedEvent> | typeof ABORTED | typeof IDLE = first;
        let ended = false;
        let failure: { error: unknown } | undefined;
        while (next !== IDLE) {
          if (next === ABORTED) return;
          if (next.done) {
            ended = true;
            break;
          }
          // A redelivery after a resubscription is not news.
          if (next.value.position > (batch.at(-1)?.position ?? this.current)) batch.push(next.value);
          pending = iterator.next();
          pending.catch(() => undefined);
          if (batch.length >= this.batchSize) break;
          try {
            next = await Promise.race([pending, aborted, idle().then((): typeof IDLE => IDLE)]);
          } catch (error) {
            // The connection failed mid-batch: what arrived before the failure is still news.
            failure = { error };
            break;
          }
        }
        if (batch.length > 0) {
          try {
            await this.options.handle(batch);
          } catch (cause) {
            throw new HandlerFailed(cause);
          }
          progress.delivered = true;
          this.advance(batch.at(-1)!.position);
        }
        if (failure) throw failure.error;
        if (ended || this.stopping) return;
      }
    } finally {
      void iterator.return?.()?.catch(() => undefined);
    }
  }

  private advance(position: bigint): void {
    this.current = position;
    const reached = this.waiters.filter((w) => w.position <= position);
    this.waiters = this.waiters.filter((w) => w.position > position);
    for (const waiter of reached) waiter.resolve(true);
  }

  private settleWaiters(): void {
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters = [];
  }
}
