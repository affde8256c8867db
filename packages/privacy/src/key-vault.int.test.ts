import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase } from '@fengcheng/platform';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyVault, rotateMasterKey } from './key-vault';
import { generateMasterKey, loadOrCreateMasterKeyFile, parseMasterKey } from './master-key';
import { runRotateMasterKey } from './rotate-master-key.command';

const master = Buffer.alloc(32, 9);
const alice = { organisationId: 'org-a', clientRef: 'alice' };
const bob = { organisationId: 'org-a', clientRef: 'bob' };

describe('the key vault', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('makes one data key per client, stores it wrapped, and gives it back', async () => {
    const vault = await KeyVault.open(database, master);
    expect(await vault.keyForReading(alice)).toBeNull();
    const key = await vault.keyForWriting(alice);
    expect(Buffer.isBuffer(key) && key.length).toBe(32);
    expect(await vault.keyForWriting(alice)).toEqual(key);
    const other = await KeyVault.open(database, master);
    expect(await other.keyForReading(alice)).toEqual(key);
    const { rows } = await sql<{ wrapped_key: Uint8Array }>`
      select wrapped_key from client_keys where client_ref = 'alice'`.execute(database.db);
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.wrapped_key)).toHaveLength(60);
    expect(Buffer.from(rows[0]!.wrapped_key).includes(key as Buffer)).toBe(false);
  });

  it('gives each of many clients made at once a key and a wrapping of its own', async () => {
    const vault = await KeyVault.open(database, master);
    const clients = Array.from({ length: 40 }, (_, i) => ({
      organisationId: 'org-many',
      clientRef: `c${i}`,
    }));
    const keys = (await Promise.all(clients.map((client) => vault.keyForWriting(client)))) as Buffer[];
    expect(new Set(keys.map((key) => key.toString('hex'))).size).toBe(40);
    expect(keys.some((key) => key.equals(Buffer.alloc(32)))).toBe(false);
    const { rows } = await sql<{ wrapped_key: Uint8Array }>`
      select wrapped_key from client_keys where organisation_id = 'org-many'`.execute(database.db);
    // Distinct IVs (the first 12 bytes of each wrapping), and every key reads back through another vault.
    expect(
      new Set(rows.map((row) => Buffer.from(row.wrapped_key).subarray(0, 12).toString('hex'))).size,
    ).toBe(40);
    const other = await KeyVault.open(database, master);
    for (const [i, client] of clients.entries()) expect(await other.keyForReading(client)).toEqual(keys[i]);
    // The later tests count the rows of the table.
    await sql`delete from client_keys where organisation_id = 'org-many'`.execute(database.db);
  });

  it('agrees on one key when two vaults make the first key at once', async () => {
    const [a, b] = await Promise.all([KeyVault.open(database, master), KeyVault.open(database, master)]);
    const [ka, kb] = await Promise.all([a.keyForWriting(bob), b.keyForWriting(bob)]);
    expect(ka).toEqual(kb);
  });

  it('commits new keys without waiting for the flush only when the events follow them in the same log', async () => {
    // The setting each key insert's transaction ran under, seen from inside it.
    await sql`create table commit_modes (organisation_id text, mode text)`.execute(database.db);
    await sql`create function record_commit_mode() returns trigger language plpgsql as $$
      begin
        insert into commit_modes values (new.organisation_id, current_setting('synchronous_commit'));
        return new;
      end $$`.execute(database.db);
    await sql`create trigger record_commit_mode after insert on client_keys
      for each row execute function record_commit_mode()`.execute(database.db);
    try {
      const flushed = await KeyVault.open(database, master, { keysFlushedByAppends: true });
      const waiting = await KeyVault.open(database, master);
      await flushed.keyForWriting({ organisationId: 'org-flushed', clientRef: 'dan' });
      await waiting.keyForWriting({ organisationId: 'org-waiting', clientRef: 'dan' });
      const { rows } = await sql<{ organisation_id: string; mode: string }>`
        select organisation_id, mode from commit_modes order by organisation_id`.execute(database.db);
      expect(rows).toEqual([
        { organisation_id: 'org-flushed', mode: 'off' },
        { organisation_id: 'org-waiting', mode: 'on' },
      ]);
      // The setting was the statement's own: the connection is back to the default.
      const { rows: after } = await sql<{ mode: string }>`
        select current_setting('synchronous_commit') as mode`.execute(database.db);
      expect(after[0]?.mode).toBe('on');
    } finally {
      await sql`drop trigger record_commit_mode on client_keys`.execute(database.db);
      await sql`drop function record_commit_mode()`.execute(database.db);
      await sql`drop table commit_modes`.execute(database.db);
      await sql`delete from client_keys where organisation_id in ('org-flushed', 'org-waiting')`.execute(
        database.db,
      );
    }
  });

  it('erases by destroying the wrapped key, at once here and within the cache time elsewhere', async () => {
    const carol = { organisationId: 'org-b', clientRef: 'carol' };
    const here = await KeyVault.open(database, master);
    const there = await KeyVault.open(database, master, { cacheTtlMs: 0 });
    expect(Buffer.isBuffer(await there.keyForWriting(carol))).toBe(true);
    await here.keyForWriting(carol);
    const { erasedAt } = await here.erase(carol);
    expect(Number.isNaN(Date.parse(erasedAt))).toBe(false);
    expect(await here.keyForReading(carol)).toBe('erased');
    expect(await here.keyForWriting(carol)).toBe('erased');
    expect(await there.keyForReading(carol)).toBe('erased');
    expect((await here.erase(carol)).erasedAt).toBe(erasedAt);
    const { rows } = await sql<{ wrapped_key: null; erased_at: unknown }>`
      select wrapped_key, erased_at from client_keys where client_ref = 'carol'`.execute(database.db);
    expect(rows[0]?.wrapped_key).toBeNull();
    // A client erased before any key was made never gets one.
    const dan = { organisationId: 'org-b', clientRef: 'dan' };
    await here.erase(dan);
    expect(await here.keyForWriting(dan)).toBe('erased');
  });

  it('refuses to open with a master key that does not unwrap the stored keys', async () => {
    await expect(KeyVault.open(database, Buffer.alloc(32, 1))).rejects.toThrow(
      /FENGCHENG_MASTER_KEY does not unwrap/,
    );
  });

  it('rotates the master key: every key re-wrapped, the data keys unchanged, a second run changes nothing', async () => {
    const before = await (await KeyVault.open(database, master)).keyForReading(alice);
    const next = Buffer.alloc(32, 10);
    expect(await rotateMasterKey(database, master, next)).toEqual({
      rewrapped: 2,
      alreadyRotated: 0,
      erased: 2,
    });
    await expect(KeyVault.open(database, master)).rejects.toThrow();
    expect(await (await KeyVault.open(database, next)).keyForReading(alice)).toEqual(before);
    expect(await rotateMasterKey(database, master, next)).toEqual({
      rewrapped: 0,
      alreadyRotated: 2,
      erased: 2,
    });
    await expect(rotateMasterKey(database, Buffer.alloc(32, 3), Buffer.alloc(32, 4))).rejects.toThrow(
      /unwraps under neither/,
    );
    // Back again through the command, with the keys in the environment.
    const out: string[] = [];
    const err: string[] = [];
    const code = await runRotateMasterKey(['--database-url', 'postgres://unused'], {
      env: {
        FENGCHENG_MASTER_KEY: next.toString('base64'),
        FENGCHENG_NEW_MASTER_KEY: master.toString('base64'),
      },
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      open: async () => database,
    });
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    expect(out.join('')).toContain(
      'rotated: 2 data keys re-wrapped, 0 already under the new key, 2 erased clients',
    );
    expect(await (await KeyVault.open(database, master)).keyForReading(alice)).toEqual(before);
  });
});

describe('the rotate-master-key command', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { env: {}, out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
  };

  it('explains itself with --help', async () => {
    const { out, io: base } = io();
    expect(await runRotateMasterKey(['--help'], base)).toBe(0);
    expect(out.join('')).toContain('Re-wrap every client data key under a new master key');
    expect(out.join('')).toContain('--data-dir');
  });

  it('names the missing variables', async () => {
    const { err, io: base } = io();
    expect(await runRotateMasterKey(['--database-url', 'postgres://x'], base)).toBe(2);
    expect(err.join('')).toContain('FENGCHENG_MASTER_KEY is required');
    const second = io();
    const env = { FENGCHENG_MASTER_KEY: generateMasterKey() };
    expect(await runRotateMasterKey(['--database-url', 'postgres://x'], { ...second.io, env })).toBe(2);
    expect(second.err.join('')).toContain('FENGCHENG_NEW_MASTER_KEY is required');
  });

  it('rotates an embedded data folder and replaces master.key (mode 0600)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fengcheng-rotate-'));
    const database = await openTestDatabase({ forceEmbedded: true });
    try {
      const first = loadOrCreateMasterKeyFile(dir);
      expect(first.created).toBe(true);
      expect(statSync(first.path).mode & 0o777).toBe(0o600);
      expect(loadOrCreateMasterKeyFile(dir).key).toEqual(first.key);
      const key = await (await KeyVault.open(database, first.key)).keyForWriting(alice);
      const { out, io: base } = io();
      const code = await runRotateMasterKey(['--data-dir', dir], { ...base, open: async () => database });
      expect(code).toBe(0);
      expect(out.join('')).toContain('rotated: 1 data keys re-wrapped');
      const rotated = parseMasterKey(readFileSync(first.path, 'utf8'));
      expect(rotated.equals(first.key)).toBe(false);
      expect(statSync(first.path).mode & 0o777).toBe(0o600);
      expect(await (await KeyVault.open(database, rotated)).keyForReading(alice)).toEqual(key);
    } finally {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a master key that is not 32 bytes of base64, without echoing it', () => {
    expect(() => parseMasterKey('c2hvcnQ=')).toThrow(
      'FENGCHENG_MASTER_KEY must be 32 random bytes in base64',
    );
    expect(() => parseMasterKey('not base64 at all!')).toThrow(/got 0 bytes/);
    expect(parseMasterKey(Buffer.alloc(32, 5).toString('base64'))).toEqual(Buffer.alloc(32, 5));
  });
});

describe('the key vault under concurrent writers', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('makes the keys of clients asked for at the same moment together: one per client, each stored, erasures kept', async () => {
    const vault = await KeyVault.open(database, master);
    const known = { organisationId: 'org-c', clientRef: 'known' };
    const gone = { organisationId: 'org-c', clientRef: 'gone' };
    const knownKey = await vault.keyForWriting(known);
    await vault.erase(gone);
    const clients = Array.from({ length: 60 }, (_, i) => ({
      organisationId: i % 2 === 0 ? 'org-c' : 'org-d',
      clientRef: `client-${i}`,
    }));
    const other = await KeyVault.open(database, master);
    // Each new client twice, the known and the erased one among them, and the same clients from a second vault.
    const [mine, theirs] = await Promise.all([
      Promise.all([...clients, ...clients, known, gone].map((client) => vault.keyForWriting(client))),
      Promise.all(clients.map((client) => other.keyForWriting(client))),
    ]);
    expect(mine.at(-2)).toEqual(knownKey);
    expect(mine.at(-1)).toBe('erased');
    const keys = mine.slice(0, 60) as Buffer[];
    expect(keys.every((key) => Buffer.isBuffer(key) && key.length === 32)).toBe(true);
    expect(new Set(keys.map((key) => key.toString('hex'))).size).toBe(60);
    expect(mine.slice(60, 120)).toEqual(keys);
    expect(theirs).toEqual(keys);
    const fresh = await KeyVault.open(database, master);
    expect(await Promise.all(clients.map((client) => fresh.keyForReading(client)))).toEqual(keys);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from client_keys where organisation_id in ('org-c', 'org-d')`.execute(
      database.db,
    );
    expect(rows[0]?.n).toBe(62);
  });
});
