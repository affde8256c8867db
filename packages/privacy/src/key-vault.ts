import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Database } from '@fengcheng/platform';
import { type Kysely, sql } from 'kysely';
import { LRUCache } from 'lru-cache';

/** A client: client refs are unique within one organisation. */
export interface ClientId {
  organisationId: string;
  clientRef: string;
}

/** What the vault holds for a client: a data key, `'erased'` after crypto-shredding, null if never made. */
export type DataKey = Buffer | 'erased' | null;

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CACHE_MAX_ENTRIES = 10_000;
/** Key-making statements out at once; the callers arriving meanwhile wait for the next one. */
const MAX_WRITES_IN_FLIGHT = 2;
const MAX_KEYS_PER_WRITE = 500;

// The wrapped key is bound to its client, so a row's key copied to another client's row does not unwrap.
function wrapAad(client: ClientId): Buffer {
  return Buffer.from(
    `fengcheng/client-key/v1\u0000${client.organisationId}\u0000${client.clientRef}`,
    'utf8',
  );
}

/** AES-256-GCM with the master key: iv ‖ tag ‖ ciphertext. `iv`: 12 random bytes, drawn here unless given. */
export function wrapDataKey(
  masterKey: Buffer,
  client: ClientId,
  dataKey: Buffer,
  iv: Buffer = randomBytes(IV_BYTES),
): Buffer {
  if (iv.length !== IV_BYTES) throw new Error('a wrapping IV is 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(wrapAad(client));
  const ct = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

/** Unwraps a data key; throws when the master key (or the client) is not the one it was wrapped for. */
export function unwrapDataKey(masterKey: Buffer, client: ClientId, wrapped: Uint8Array): Buffer {
  const bytes = Buffer.from(wrapped);
  if (bytes.length !== IV_BYTES + TAG_BYTES + KEY_BYTES) throw new Error('a wrapped data key is 60 bytes');
  const decipher = createDecipheriv('aes-256-gcm', masterKey, bytes.subarray(0, IV_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(wrapAad(client));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

interface PendingWrite {
  client: ClientId;
  resolve: (key: Buffer | 'erased') => void;
  reject: (error: unknown) => void;
}

interface KeyRow {
  organisation_id: string;
  client_ref: string;
  wrapped_key: Uint8Array | null;
}

/** Creates `client_keys` in the database's schema if missing. */
export async function ensureClientKeysTable(db: Kysely<any>): Promise<void> {
  const create = sql`
    create table if not exists client_keys (
      organisation_id text not null,
      client_ref text not null,
      wrapped_key bytea,
      created_at timestamptz not null default now(),
      erased_at timestamptz,
      primary key (organisation_id, client_ref),
      check ((wrapped_key is null) = (erased_at is not null))
    )`;
  try {
    await create.execute(db);
  } catch {
    // Two processes creating the table at once: one wins, the other's retry finds it.
    await create.execute(db);
  }
}

export interface KeyVaultOptions {
  /**
   * How long an unwrapped key is used for decrypting before the row is read again: another
   * process's erasure shows within this long (this process's own at once). Default 1 s.
   */
  cacheTtlMs?: number;
  /**
   * The same for encrypting. Longer is safe: data encrypted under a key that another
   * process has just shredded is unreadable, i.e. erased too. Default 60 s.
   */
  writeCacheTtlMs?: number;
  /**
   * Every event encrypted under a new key is appended to the same Postgres server as the key,
   * after the key's write has answered (the PostgreSQL event store, on this vault's database).
   * A new key's commit then does not wait for its flush to disk: the server's write-ahead log is
   * one sequence, so the durable commit of any event under the key flushes the key's commit,
   * which precedes it, and a crash can only lose a key that no kept event uses. Default false:
   * with EventStoreDB, the events' durability says nothing about the key's. Erasures always wait.
   */
  keysFlushedByAppends?: boolean;
}

/**
 * Per-client data keys, wrapped by the master key, in `client_keys` next to the events.
 * Erasure nulls the wrapped key (crypto-shredding): every ciphertext under it becomes noise,
 * while the events and their hash chain stay as they were.
 */
export class KeyVault {
  // Least recently used goes first. lru-cache, not a Map in insertion order: a Map finds its oldest
  // entry by scanning past the holes deletions leave at its front (15 µs a new client at 10,000).
  private readonly cache = new LRUCache<string, { key: DataKey; fetchedAt: number }>({
    max: CACHE_MAX_ENTRIES,
  });
  private readonly writing = new Map<string, Promise<Buffer | 'erased'>>();
  private readonly writeQueue: PendingWrite[] = [];
  private writesInFlight = 0;
  private readonly readTtlMs: number;
  private readonly writeTtlMs: number;
  private readonly keysFlushedByAppends: boolean;

  private constructor(
    private readonly database: Database,
    private readonly masterKey: Buffer,
    options: KeyVaultOptions,
  ) {
    this.readTtlMs = options.cacheTtlMs ?? 1_000;
    this.writeTtlMs = Math.max(this.readTtlMs, options.writeCacheTtlMs ?? 60_000);
    this.keysFlushedByAppends = options.keysFlushedByAppends ?? false;
  }

  /**
   * Opens the vault, creating its table if missing. Refuses a master key that does not
   * unwrap the keys already stored (a wrong FENGCHENG_MASTER_KEY would otherwise make
   * every new key under it and every old one unreadable).
   */
  static async open(database: Database, masterKey: Buffer, options: KeyVaultOptions = {}): Promise<KeyVault> {
    if (masterKey.length !== KEY_BYTES) throw new Error('the master key is 32 bytes');
    await ensureClientKeysTable(database.db);
    const { rows } = await sql<KeyRow>`
      select organisation_id, client_ref, wrapped_key from client_keys
      where wrapped_key is not null limit 1`.execute(database.db);
    const sample = rows[0];
    if (sample?.wrapped_key) {
      try {
        unwrapDataKey(masterKey, clientOfRow(sample), sample.wrapped_key);
      } catch {
        throw new Error(
          'FENGCHENG_MASTER_KEY does not unwrap the data keys stored in this database: it is not the key they were made with',
        );
      }
    }
    return new KeyVault(database, masterKey, options);
  }

  /**
   * The client's data key for encrypting, made on first use; `'erased'` once the client was
   * erased. Callers waiting at the same moment share one round trip (and one commit): every
   * new client's key costs a statement otherwise, as much as the append it precedes.
   */
  async keyForWriting(client: ClientId): Promise<Buffer | 'erased'> {
    const cached = this.cached(client, this.writeTtlMs);
    if (cached !== undefined && cached !== null) return cached;
    const id = cacheKey(client);
    let pending = this.writing.get(id);
    if (!pending) {
      pending = new Promise<Buffer | 'erased'>((resolve, reject) => {
        this.writeQueue.push({ client, resolve, reject });
      });
      this.writing.set(id, pending);
      const settled = () => {
        if (this.writing.get(id) === pending) this.writing.delete(id);
      };
      pending.then(settled, settled);
      this.pumpWrites();
    }
    return pending;
  }

  private pumpWrites(): void {
    while (this.writesInFlight < MAX_WRITES_IN_FLIGHT && this.writeQueue.length > 0) {
      const group = this.writeQueue.splice(0, MAX_KEYS_PER_WRITE);
      this.writesInFlight++;
      void this.writeKeys(group).finally(() => {
        this.writesInFlight--;
        this.pumpWrites();
      });
    }
  }

  private async writeKeys(group: PendingWrite[]): Promise<void> {
    // One order for every writer, so two processes making overlapping sets of keys cannot deadlock.
    group.sort((a, b) => compareClients(a.client, b.client));
    // The group's keys and IVs in one draw: two draws per client were 2% of the ingest's CPU
    // under batch load (a new client per case). Each key is copied out, the draw zeroed.
    const drawn = randomBytes(group.length * (KEY_BYTES + IV_BYTES));
    const fresh = group.map(({ client }, i) => {
      const at = i * (KEY_BYTES + IV_BYTES);
      const key = Buffer.from(drawn.subarray(at, at + KEY_BYTES));
      const iv = drawn.subarray(at + KEY_BYTES, at + KEY_BYTES + IV_BYTES);
      return { key, wrapped: wrapDataKey(this.masterKey, client, key, iv) };
    });
    drawn.fill(0);
    const byClient = new Map<string, KeyRow>();
    try {
      // The new keys of clients without a row. `set_config(…, true)` holds for this statement's
      // own transaction, so the setting costs no round trip; it must be referenced to be run.
      const { rows: inserted } = await sql<KeyRow>`
        with commit_mode as materialized (
          select ${this.keysFlushedByAppends ? sql`set_config('synchronous_commit', 'off', true)` : sql`null`}
        )
        insert into client_keys (organisation_id, client_ref, wrapped_key)
        select t.organisation_id, t.client_ref, decode(t.wrapped_hex, 'hex')
        from commit_mode, unnest(
          ${group.map((p) => p.client.organisationId)}::text[],
          ${group.map((p) => p.client.clientRef)}::text[],
          ${fresh.map((f) => f.wrapped.toString('hex'))}::text[]
        ) as t(organisation_id, client_ref, wrapped_hex)
        on conflict (organisation_id, client_ref) do nothing
        returning organisation_id, client_ref, wrapped_key`.execute(this.database.db);
      for (const row of inserted) byClient.set(cacheKey(clientOfRow(row)), row);
      // Clients that had a row (erased, or keyed by another writer, or gone from the cache) are
      // read in a second statement, whose snapshot sees a racing writer's key that this insert
      // waited for. Asked in the insert's own statement (a union with an anti-join), they made
      // every new key's statement take 0.26 ms of the server's time instead of 0.06, mostly planning.
      const known = group.filter((p) => !byClient.has(cacheKey(p.client)));
      if (known.length > 0) {
        const { rows } = await sql<KeyRow>`
          select k.organisation_id, k.client_ref, k.wrapped_key
          from client_keys k
          join unnest(
            ${known.map((p) => p.client.organisationId)}::text[],
            ${known.map((p) => p.client.clientRef)}::text[]
          ) as t(organisation_id, client_ref)
            on k.organisation_id = t.organisation_id and k.client_ref = t.client_ref`.execute(
          this.database.db,
        );
        for (const row of rows) byClient.set(cacheKey(clientOfRow(row)), row);
      }
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return;
    }
    group.forEach((pending, i) => {
      try {
        const row = byClient.get(cacheKey(pending.client));
        if (!row) throw new Error('a data key was inserted but cannot be read back');
        const mine = fresh[i]!;
        const key: Buffer | 'erased' =
          row.wrapped_key === null
            ? 'erased'
            : Buffer.from(row.wrapped_key).equals(mine.wrapped)
              ? mine.key
              : this.unwrap(row);
        // An erasure this process made while the statements ran stands.
        if (this.cache.get(cacheKey(pending.client))?.key === 'erased') {
          pending.resolve('erased');
          return;
        }
        this.remember(pending.client, key);
        pending.resolve(key);
      } catch (error) {
        pending.reject(error);
      }
    });
  }

  /** The client's data key for decrypting: `'erased'` after erasure, null when none was ever made. */
  async keyForReading(client: ClientId): Promise<DataKey> {
    const cached = this.cached(client, this.readTtlMs);
    if (cached !== undefined) return cached;
    const { rows } = await sql<KeyRow>`
      select organisation_id, client_ref, wrapped_key from client_keys
      where organisation_id = ${client.organisationId} and client_ref = ${client.clientRef}`.execute(
      this.database.db,
    );
    const row = rows[0];
    const key: DataKey = !row ? null : row.wrapped_key === null ? 'erased' : this.unwrap(row);
    // An unknown client is not cached: its key may be made by another process any moment.
    if (key !== null) this.remember(client, key);
    return key;
  }

  private cached(client: ClientId, ttlMs: number): DataKey | undefined {
    const id = cacheKey(client);
    const entry = this.cache.get(id);
    if (!entry) return undefined;
    // An erasure is final: no need to read the row again.
    if (entry.key === 'erased' || Date.now() - entry.fetchedAt < ttlMs) return entry.key;
    return undefined;
  }

  private remember(client: ClientId, key: DataKey): void {
    this.cache.set(cacheKey(client), { key, fetchedAt: Date.now() });
  }

  /**
   * Destroys the client's data key (and keeps a row saying so, so no new key is ever made
   * for that client). Idempotent: erasing again changes nothing.
   */
  async erase(client: ClientId): Promise<{ erasedAt: string }> {
    const { rows } = await sql<{ erased_at: Date | string }>`
      insert into client_keys (organisation_id, client_ref, wrapped_key, erased_at)
      values (${client.organisationId}, ${client.clientRef}, null, now())
      on conflict (organisation_id, client_ref) do update
        set wrapped_key = null, erased_at = coalesce(client_keys.erased_at, now())
      returning erased_at`.execute(this.database.db);
    this.remember(client, 'erased');
    const erasedAt = rows[0]?.erased_at;
    return { erasedAt: erasedAt instanceof Date ? erasedAt.toISOString() : String(erasedAt) };
  }

  private unwrap(row: KeyRow): Buffer {
    return unwrapDataKey(this.masterKey, clientOfRow(row), row.wrapped_key as Uint8Array);
  }
}

function clientOfRow(row: KeyRow): ClientId {
  return { organisationId: row.organisation_id, clientRef: row.client_ref };
}

function compareClients(a: ClientId, b: ClientId): number {
  if (a.organisationId !== b.organisationId) return a.organisationId < b.organisationId ? -1 : 1;
  return a.clientRef < b.clientRef ? -1 : a.clientRef > b.clientRef ? 1 : 0;
}

function cacheKey(client: ClientId): string {
  return `${client.organisationId}\u0000${client.clientRef}`;
}

export interface RotationResult {
  /** Keys re-wrapped under the new master key now. */
  rewrapped: number;
  /** Keys already under the new master key (a rotation run again after an interruption). */
  alreadyRotated: number;
  /** Erased clients: nothing to re-wrap. */
  erased: number;
}

/**
 * Re-wraps every data key under a new master key, in one transaction: either every key
 * moves or none does. The events are not touched (they are encrypted under the data keys,
 * which do not change). Keys that already unwrap under the new master key are left as they
 * are, so an interrupted rotation can simply be run again. A key that unwraps under
 * neither aborts the rotation.
 */
export async function rotateMasterKey(
  database: Database,
  oldMasterKey: Buffer,
  newMasterKey: Buffer,
): Promise<RotationResult> {
  if (oldMasterKey.length !== KEY_BYTES || newMasterKey.length !== KEY_BYTES) {
    throw new Error('master keys are 32 bytes');
  }
  await ensureClientKeysTable(database.db);
  return database.db.transaction().execute(async (trx) => {
    const { rows } = await sql<KeyRow>`
      select organisation_id, client_ref, wrapped_key from client_keys
      order by organisation_id, client_ref
      for update`.execute(trx);
    const result: RotationResult = { rewrapped: 0, alreadyRotated: 0, erased: 0 };
    for (const row of rows) {
      if (row.wrapped_key === null) {
        result.erased++;
        continue;
      }
      const client = clientOfRow(row);
      let dataKey: Buffer;
      try {
        dataKey = unwrapDataKey(oldMasterKey, client, row.wrapped_key);
      } catch {
        try {
          unwrapDataKey(newMasterKey, client, row.wrapped_key);
          result.alreadyRotated++;
          continue;
        } catch {
          throw new Error(
            `the data key of one client (organisation ${client.organisationId}) unwraps under neither master key; nothing was changed`,
          );
        }
      }
      await sql`
        update client_keys set wrapped_key = ${wrapDataKey(newMasterKey, client, dataKey)}
        where organisation_id = ${client.organisationId} and client_ref = ${client.clientRef}`.execute(trx);
      result.rewrapped++;
    }
    return result;
  });
}
