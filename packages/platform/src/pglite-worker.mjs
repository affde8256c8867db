// The embedded database's own thread: PGlite (Postgres compiled to WASM) runs here, so that its
// work — most of an embedded process's CPU — runs beside the event loop instead of on it.
// Plain JavaScript, not TypeScript: node, tsx and vitest all start it as it is.
// The protocol (see pglite-thread.ts): {id, op, ...} in; {id, ok, value} or {id, ok: false, error} out,
// and {notify: listenerId} for a LISTEN callback.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

let pglite;
try {
  const { dataDir, pgliteWasmModule, initdbWasmModule } = workerData;
  pglite = await PGlite.create({ ...(dataDir ? { dataDir } : {}), pgliteWasmModule, initdbWasmModule });
} catch (error) {
  parentPort.postMessage({ ready: false, error: errorOf(error) });
  process.exit(1);
}

/** Type OIDs whose binary form is their text's UTF-8 bytes: text, json, varchar. */
const TEXT_TYPES = [25, 114, 1043];
// PGlite's serializers for text and json, except that bytes go through as bytes, in binary
// format, the way node-postgres sends a Buffer: PGlite would turn them back into a string (text)
// or into JSON of the object (json).
const serializers = Object.fromEntries(
  TEXT_TYPES.map((oid) => {
    const fallback = pglite.serializers[oid] ?? ((value) => String(value));
    return [oid, (value) => (value instanceof Uint8Array ? value : fallback(value))];
  }),
);

const listeners = new Map();

/**
 * An error as data: a DatabaseError's fields (code, constraint, detail …) but not its query's
 * options, nor its stack, which is PGlite's parser here: the other side gives it the caller's.
 */
function errorOf(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields = { message: error.message };
  for (const [key, value] of Object.entries(error)) {
    if (key !== 'name' && key !== 'stack' && (typeof value === 'string' || typeof value === 'number'))
      fields[key] = value;
  }
  return fields;
}

function reply(message) {
  try {
    parentPort.postMessage(message);
  } catch (error) {
    parentPort.postMessage({ id: message.id, ok: false, error: errorOf(error) });
  }
}

async function run(message) {
  switch (message.op) {
    case 'query': {
      const options = { serializers };
      if (message.rowMode) options.rowMode = message.rowMode;
      if (message.blob !== undefined) options.blob = new Blob([message.blob]);
      const { rows, affectedRows } = await pglite.query(message.sql, message.params, options);
      return { rows, affectedRows };
    }
    case 'exec':
      await pglite.exec(message.sql);
      return null;
    case 'listen': {
      const off = await pglite.listen(message.channel, () =>
        parentPort.postMessage({ notify: message.listenerId }),
      );
      listeners.set(message.listenerId, off);
      return null;
    }
    case 'unlisten': {
      const off = listeners.get(message.listenerId);
      listeners.delete(message.listenerId);
      await off?.();
      return null;
    }
    case 'close':
      await pglite.close();
      return null;
    default:
      throw new Error(`unknown operation ${message.op}`);
  }
}

parentPort.on('message', (message) => {
  run(message).then(
    (value) => reply({ id: message.id, ok: true, value }),
    (error) => {
      reply({ id: message.id, ok: false, error: errorOf(error) });
      // A trap in Postgres's WASM (an abort, memory out of bounds) or an error that would have
      // ended a server's backend (FATAL, PANIC) leaves PGlite unusable: the thread ends, and the
      // other side fails every statement from then on (onFailure).
      if (error instanceof WebAssembly.RuntimeError || ['FATAL', 'PANIC'].includes(error?.severity))
        process.exit(70);
    },
  );
});
parentPort.postMessage({ ready: true });
