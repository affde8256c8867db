import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

// The one WebAssembly call made here (the project's types have no DOM or WebAssembly library).
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<object> };

/**
 * PGlite's two WASM programs, compiled once per process and handed to each thread: a thread
 * compiling them itself took 0.8 s more per database opened (2.35 s against 1.6 s, with the
 * process's earlier compilation cached), which the test suite pays at every embedded database.
 */
let compiled: Promise<{ pgliteWasmModule: object; initdbWasmModule: object }> | undefined;
function compiledPrograms() {
  compiled ??= (async () => {
    const [pglite, initdb] = await Promise.all(
      ['pglite.wasm', 'initdb.wasm'].map(async (file) =>
        WebAssembly.compile(await readFile(require.resolve(`@electric-sql/pglite/${file}`))),
      ),
    );
    return { pgliteWasmModule: pglite!, initdbWasmModule: initdb! };
  })();
  compiled.catch(() => {
    compiled = undefined;
  });
  return compiled;
}

export interface EmbeddedResult<R> {
  rows: R[];
  affectedRows?: number;
}

type Pending = { resolve: (value: any) => void; reject: (error: Error) => void };

/** What a statement fails with once the thread has ended. */
const threadExited = (code: number) => new Error(`the embedded database's thread exited (code ${code})`);

/** An error the thread sent as data, with its fields (code, constraint, detail …) and this thread's stack: the caller's. */
function errorFrom(data: { message: string }): Error {
  return Object.assign(new Error(data.message), data);
}

/**
 * Embedded PGlite, run in a worker thread of its own (pglite-worker.mjs): the few calls Fengcheng
 * makes of it, each a message to that thread and its answer back.
 */
export class EmbeddedPostgres {
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<number, () => void>();
  private nextId = 1;
  private failure: Error | undefined;
  private closing = false;
  private readonly failureListeners = new Set<(error: Error) => void>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: any) => {
      if (message.notify !== undefined) {
        this.listeners.get(message.notify)?.();
        return;
      }
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) this.worker.unref();
      if (message.ok) pending.resolve(message.value);
      else pending.reject(errorFrom(message.error));
    });
    const fail = (error: Error) => {
      const first = this.failure === undefined && !this.closing;
      this.failure ??= error;
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
      if (first) for (const listener of this.failureListeners) listener(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(threadExited(code)));
  }

  /**
   * Calls `listener` once if the database's thread stops other than by `close()`: it ended, or
   * PGlite aborted (a WebAssembly trap leaves it unusable, so the thread ends then). Every
   * statement after that fails; a process can only start again, which recovers what was committed.
   */
  onFailure(listener: (error: Error) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  static async create(dataDir: string | undefined): Promise<EmbeddedPostgres> {
    const path = require.resolve('@fengcheng/platform/pglite-worker');
    const worker = new Worker(path, { workerData: { dataDir, ...(await compiledPrograms()) } });
    await new Promise<void>((resolve, reject) => {
      const exited = (code: number) => reject(threadExited(code));
      const onMessage = (message: any) => {
        if (message.ready === undefined) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        worker.off('exit', exited);
        if (message.ready) resolve();
        else reject(errorFrom(message.error));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', exited);
    });
    return new EmbeddedPostgres(worker);
  }

  private call<T>(message: Record<string, unknown>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    // The thread keeps the process alive only while an answer is awaited, as a socket would.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  query<R = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
    options: { rowMode?: 'array' | 'object'; blob?: string } = {},
  ): Promise<EmbeddedResult<R>> {
    return this.call({
      op: 'query',
      sql,
      // A view of part of a larger buffer (Buffer's pool) would go across with the whole of it.
      params: params.map((value) =>
        ArrayBuffer.isView(value) && value.byteLength !== value.buffer.byteLength
          ? new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength))
          : value,
      ),
      rowMode: options.rowMode,
      blob: options.blob,
    });
  }

  exec(sql: string): Promise<void> {
    return this.call({ op: 'exec', sql });
  }

  async listen(channel: string, callback: () => void): Promise<() => Promise<void>> {
    const listenerId = this.nextId++;
    this.listeners.set(listenerId, callback);
    await this.call({ op: 'listen', channel, listenerId });
    return async () => {
      this.listeners.delete(listenerId);
      await this.call({ op: 'unlisten', listenerId });
    };
  }

  /** Closes PGlite and ends its thread; after a failure there is only the thread to end. */
  async close(): Promise<void> {
    this.closing = true;
    try {
      await this.call({ op: 'close' }).catch((error: unknown) => {
        if (!this.failure) throw error;
      });
    } finally {
      await this.worker.terminate();
    }
  }
}
