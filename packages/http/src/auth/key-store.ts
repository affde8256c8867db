import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '@fengcheng/platform';
import { sql } from 'kysely';

export const ROLES = ['agency', 'analyst', 'reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who a request acts as: the key's id, its role and (for an agency) its organisation. */
export interface AuthContext {
  keyId: string;
  role: Role;
  organisationId?: string;
}

export const ENV_ADMIN_KEY_ID = 'admin-env';
/** Shortest FENGCHENG_ADMIN_KEY accepted: a key is a credential, not a password to remember. */
export const MIN_ENV_KEY_LENGTH = 20;
const KEY_PREFIX = 'fck_';
/** How long another process's revoke may go unseen here. */
const CACHE_TTL_MS = 1_000;
const CACHE_MAX_ENTRIES = 10_000;

type Lookup = AuthContext | 'revoked' | null;

interface KeyRow {
  key_id: string;
  key_hash: string;
  role: Role;
  organisation_id: string | null;
  revoked_at: Date | string | null;
}

/** Every request's key is hashed to be looked up: the one-shot `hash` costs 0.4 µs, createHash 1. */
function hashOf(key: string): string {
  return hash('sha256', key, 'hex');
}

/**
 * API keys, stored hashed. A key is `fck_` + 32 random bytes (base64url); only its
 * SHA-256 is kept, so the key is shown once, when it is issued.
 */
export class KeyStore {
  private readonly cache = new Map<string, { result: Lookup; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<Lookup>>();

  private constructor(private readonly database: Database) {}

  /** Opens the store on a database, creating its table in the database's schema if missing. */
  static async open(database: Database): Promise<KeyStore> {
    const create = sql`
      create table if not exists api_keys (
        key_id text primary key,
        key_hash text not null unique,
        role text not null check (role in ('agency', 'analyst', 'reviewer', 'admin')),
        organisation_id text,
        label text not null,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      )`;
    try {
      await create.execute(database.db);
    } catch {
      // Two processes creating the table at once: one wins, the other's retry finds it.
      await create.execute(database.db);
    }
    return new KeyStore(database);
  }

  /** Issues a new key; the returned `key` is the only time the secret is seen. */
  async issue(
    role: Role,
    organisationId: string | undefined,
    label: string,
  ): Promise<{ keyId: string; key: string }> {
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const keyId = `key_${randomBytes(9).toString('base64url')}`;
    const keyHash = hashOf(key);
    await sql`
      insert into api_keys (key_id, key_hash, role, organisation_id, label)
      values (${keyId}, ${keyHash}, ${role}, ${organisationId ?? null}, ${label})`.execute(this.database.db);
    this.cache.delete(keyHash);
    return { keyId, key };
  }

  /** Revokes a key at once in this process (and within a second in others); false when no such key. */
  async revoke(keyId: string): Promise<boolean> {
    const { rows } = await sql<{ key_hash: string }>`
      update api_keys set revoked_at = coalesce(revoked_at, now())
      where key_id = ${keyId}
      returning key_hash`.execute(this.database.db);
    const row = rows[0];
    if (!row) return false;
    this.cache.delete(row.key_hash);
    return true;
  }

  /** Who a presented key is; `'revoked'` for a revoked key, null for an unknown one. */
  async authenticate(key: string): Promise<Lookup> {
    if (!key.startsWith(KEY_PREFIX) && key.length < MIN_ENV_KEY_LENGTH) return null;
    const keyHash = hashOf(key);
    const now = Date.now();
    const cached = this.cache.get(keyHash);
    if (cached && cached.expiresAt > now) return cached.result;
    let pending = this.inFlight.get(keyHash);
    if (!pending) {
      pending = this.lookup(keyHash).finally(() => this.inFlight.delete(keyHash));
      this.inFlight.set(keyHash, pending);
    }
    const result = await pending;
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
    this.cache.set(keyHash, { result, expiresAt: Date.now() + CACHE_TTL_MS });
    return result;
  }

  /**
   * Makes sure an admin can get in. With `envKey` (FENGCHENG_ADMIN_KEY) that key is the
   * admin key `admin-env`; without it, when no live admin key exists, one is created and
   * returned so the caller can print it once.
   */
  async ensureAdminKey(envKey?: string): Promise<{ created?: string }> {
    if (envKey !== undefined) {
      if (envKey.length < MIN_ENV_KEY_LENGTH) {
        throw new Error(`FENGCHENG_ADMIN_KEY must be at least ${MIN_ENV_KEY_LENGTH} characters`);
      }
      const keyHash = hashOf(envKey);
      // A changed key replaces the old one; an unchanged key that was revoked stays revoked.
      await sql`
        insert into api_keys (key_id, key_hash, role, label)
        values (${ENV_ADMIN_KEY_ID}, ${keyHash}, 'admin', 'FENGCHENG_ADMIN_KEY')
        on conflict (key_id) do update set
          key_hash = excluded.key_hash,
          revoked_at = case when api_keys.key_hash = excluded.key_hash then api_keys.revoked_at else null end`.execute(
        this.database.db,
      );
      this.cache.clear();
      return {};
    }
    return this.database.db.transaction().execute(async (trx) => {
      // Two processes starting together must not both mint a first key.
      await sql`select pg_advisory_xact_lock(hashtext('fengcheng.api_keys.first_admin'))`.execute(trx);
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from api_keys where role = 'admin' and revoked_at is null`.execute(trx);
      if ((rows[0]?.n ?? 0) > 0) return {};
      const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
      await sql`
        insert into api_keys (key_id, key_hash, role, label)
        values (${`key_${randomBytes(9).toString('base64url')}`}, ${hashOf(key)}, 'admin', 'first admin key')`.execute(
        trx,
      );
      return { created: key };
    });
  }

  private async lookup(keyHash: string): Promise<Lookup> {
    const { rows } = await sql<KeyRow>`
      select key_id, key_hash, role, organisation_id, revoked_at
      from api_keys where key_hash = ${keyHash}`.execute(this.database.db);
    const row = rows[0];
    if (!row) return null;
    // The lookup is by hash; comparing the hashes in constant time keeps the check honest
    // even if an index or collation ever matched loosely.
    const expected = Buffer.from(row.key_hash, 'hex');
    const actual = Buffer.from(keyHash, 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
    if (row.revoked_at !== null) return 'revoked';
    return {
      keyId: row.key_id,
      role: row.role,
      ...(row.organisation_id !== null ? { organisationId: row.organisation_id } : {}),
    };
  }
}
