import {
  ANY,
  type AppendExpectedRevision,
  type CurrentRevision,
  NO_STREAM,
  type Position,
  STREAM_EXISTS,
} from '@eventstore/db-client';
import type { ExpectedVersion } from '../port';

/**
 * Mapping between the port's numbers and EventStoreDB's (ADR 0003).
 *
 * Versions count events from 1; EventStoreDB revisions count from 0. Positions in `$all`
 * are ordered by (commit, prepare): every event of one append shares the commit position
 * of the append's first record and has its own prepare position, which lies within the
 * append's bytes. One bigint keeps that order: `(commit << OFFSET_BITS | prepare - commit) + 1`.
 * The `+ 1` keeps 0n free for "before the first event", so `after: 0n` means the start.
 */
export const OFFSET_BITS = 22n;
/** Largest distance between an event's prepare position and its append's commit position. */
export const MAX_PREPARE_OFFSET = (1n << OFFSET_BITS) - 1n;
/** Reads from a stream (not `$all`) on old servers report this commit position: "unknown". */
const UNKNOWN_POSITION = (1n << 64n) - 1n;

/** The single bigint position of an event, ordered like EventStoreDB orders `$all`. */
export function encodePosition(position: Position): bigint {
  const { commit, prepare } = position;
  if (commit < 0n || commit === UNKNOWN_POSITION) {
    throw new RangeError(`EventStoreDB reported no usable commit position (${commit})`);
  }
  const offset = prepare - commit;
  if (offset < 0n || offset > MAX_PREPARE_OFFSET) {
    // Refusing is safer than an order that silently differs from the server's.
    throw new RangeError(
      `prepare position ${prepare} is not within ${MAX_PREPARE_OFFSET} bytes after commit position ${commit}`,
    );
  }
  return ((commit << OFFSET_BITS) | offset) + 1n;
}

/** The EventStoreDB position an encoded position stands for; `null` for 0n (before everything). */
export function decodePosition(encoded: bigint): Position | null {
  if (encoded < 0n) throw new RangeError(`a position is never negative (${encoded})`);
  if (encoded === 0n) return null;
  const raw = encoded - 1n;
  const commit = raw >> OFFSET_BITS;
  return { commit, prepare: commit + (raw & MAX_PREPARE_OFFSET) };
}

/** The port's version of the event at an EventStoreDB revision. */
export function versionOfRevision(revision: bigint): number {
  const version = revision + 1n;
  if (revision < 0n || version > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`stream revision ${revision} has no version`);
  }
  return Number(version);
}

/** The EventStoreDB revision of the event at a port version (version >= 1). */
export function revisionOfVersion(version: number): bigint {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new RangeError(`version ${version} names no event`);
  }
  return BigInt(version - 1);
}

/** A stream's current version from EventStoreDB's current revision. */
export function versionOfCurrentRevision(current: CurrentRevision): number {
  return current === NO_STREAM ? 0 : versionOfRevision(current);
}

/** The port's expected version as EventStoreDB's expected revision. */
export function expectedRevisionOf(expected: ExpectedVersion): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      if (!Number.isSafeInteger(expected) || expected < 0) {
        throw new RangeError(`expected version ${expected} is not a version`);
      }
      return expected === 0 ? NO_STREAM : BigInt(expected - 1);
  }
}

/** Whether a stream at `currentVersion` satisfies the expectation. */
export function satisfies(expected: ExpectedVersion, currentVersion: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return currentVersion === 0;
    case 'stream_exists':
      return currentVersion > 0;
    default:
      return currentVersion === expected;
  }
}
