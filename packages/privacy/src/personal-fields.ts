import { decryptField, type EncryptedField, encryptField, isEncryptedField } from './field-crypto';
import type { ClientId } from './key-vault';

/**
 * Where personal data sits in the data of each event type: the client's identifying fields
 * and free text (notes, a closure summary). Everything else in an event is a code, an id
 * or a count, and stays in the clear for the decider and the projections.
 */
export const PERSONAL_FIELDS: Readonly<Record<string, ReadonlyArray<readonly string[]>>> = {
  IntakeRecorded: [
    ['client', 'name'],
    ['client', 'idNumber'],
    ['client', 'phone'],
    ['client', 'address'],
  ],
  VisitRecorded: [['notes']],
  CaseClosed: [['summary']],
};

/** Shown in place of a field whose client was erased. */
export const ERASED = '[erased]';
/** Shown in place of a personal field to a role that may not see it. */
export const WITHHELD = '[withheld]';
/** Shown in place of a field that does not decrypt (damaged, or a key that is not its own). */
export const UNREADABLE = '[unreadable]';

interface EventLike {
  type: string;
  eventId: string;
  data: Record<string, unknown>;
}

function pathsOf(type: string): ReadonlyArray<readonly string[]> {
  return Object.hasOwn(PERSONAL_FIELDS, type) ? (PERSONAL_FIELDS[type] ?? []) : [];
}

function parentOf(
  data: Record<string, unknown>,
  path: readonly string[],
): Record<string, unknown> | undefined {
  let node: unknown = data;
  for (const step of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, step)) return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
}

/**
 * `data` with the leaves at `paths` replaced by what `replace` returns for them (undefined keeps
 * a leaf), or undefined when it replaces none. Only the objects on a replaced leaf's path are
 * copied; the rest is shared with `data`, which is not changed. structuredClone copied the whole
 * data of every event that carries personal fields, on each post and each reveal.
 */
function withLeaves(
  data: Record<string, unknown>,
  paths: ReadonlyArray<readonly string[]>,
  replace: (path: readonly string[], value: unknown) => unknown,
): Record<string, unknown> | undefined {
  let copy: Record<string, unknown> | undefined;
  let copies: Set<object> | undefined;
  for (const path of paths) {
    const value = parentOf(data, path)?.[path.at(-1)!];
    if (value === undefined) continue;
    const next = replace(path, value);
    if (next === undefined) continue;
    if (!copy || !copies) {
      copy = { ...data };
      copies = new Set([copy]);
    }
    // parentOf found an object at every step of `data`, so each step of the copy has one too.
    let node = copy;
    for (const step of path.slice(0, -1)) {
      let child = node[step] as Record<string, unknown>;
      if (!copies.has(child)) {
        child = { ...child };
        node[step] = child;
        copies.add(child);
      }
      node = child;
    }
    node[path.at(-1)!] = next;
  }
  return copy;
}

/** True when the event carries a personal field in the clear (so it needs the client's key). */
export function hasPlainPersonalData(event: Pick<EventLike, 'type' | 'data'>): boolean {
  return pathsOf(event.type).some((path) => typeof parentOf(event.data, path)?.[path.at(-1)!] === 'string');
}

/** True when the event carries an encrypted personal field. */
export function hasEncryptedPersonalData(event: Pick<EventLike, 'type' | 'data'>): boolean {
  return pathsOf(event.type).some((path) => isEncryptedField(parentOf(event.data, path)?.[path.at(-1)!]));
}

/**
 * What a ciphertext is bound to: the sender's source record when there is one (a re-sent
 * export carries a new eventId but must encrypt to the same bytes), else the event id.
 */
export function encryptionContext(
  eventId: string,
  source?: { system: string; recordId: string } | null | undefined,
): string {
  return source ? `source:${source.system}\u0000${source.recordId}` : eventId;
}

/**
 * Returns the event with its personal fields encrypted under `dataKey`, bound to `context`
 * (see `encryptionContext`); the input is not changed.
 */
export function encryptPersonalData<E extends EventLike>(
  event: E,
  dataKey: Buffer,
  context: string = event.eventId,
): E {
  const data = withLeaves(event.data, pathsOf(event.type), (path, value) =>
    typeof value === 'string' ? encryptField(dataKey, context, path.join('.'), value) : undefined,
  );
  return data ? { ...event, data } : event;
}

/**
 * Returns the event with its encrypted fields replaced: decrypted with `dataKey`, or the
 * marker `'[erased]'` / `'[withheld]'`. Fields that do not decrypt become `'[unreadable]'`.
 */
export function revealPersonalData<E extends EventLike>(
  event: E,
  access: Buffer | typeof ERASED | typeof WITHHELD,
  context: string = event.eventId,
): E {
  const data = withLeaves(event.data, pathsOf(event.type), (path, value) => {
    if (!isEncryptedField(value)) return undefined;
    return typeof access === 'string' ? access : tryDecrypt(access, context, path, value);
  });
  return data ? { ...event, data } : event;
}

function tryDecrypt(dataKey: Buffer, context: string, path: readonly string[], field: unknown): string {
  try {
    return decryptField(dataKey, context, path.join('.'), field as EncryptedField);
  } catch {
    return UNREADABLE;
  }
}

/** The client a case belongs to, from its intake: the key its personal data is encrypted under. */
export function clientOfCase(events: ReadonlyArray<Pick<EventLike, 'type' | 'data'>>): ClientId | null {
  for (const event of events) {
    if (event.type !== 'IntakeRecorded') continue;
    const organisationId = event.data.organisationId;
    const clientRef = (event.data.client as { clientRef?: unknown } | undefined)?.clientRef;
    if (typeof organisationId === 'string' && typeof clientRef === 'string')
      return { organisationId, clientRef };
  }
  return null;
}
