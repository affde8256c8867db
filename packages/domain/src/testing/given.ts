import { deepStrictEqual, fail, strictEqual } from 'node:assert/strict';
import { decideEnvelope } from '../decide';
import type { DomainEvent, Envelope } from '../events';
import type { Actor, DecideContext, WorkerInfo } from '../shared/decide-context';
import { DomainError, type ErrorCode } from '../shared/errors';

/**
 * Given/when/then for the write side, with any test runner (it throws AssertionError):
 *
 * @example
 *   given([intake]).when(visit, ctx).then([toEvent(visit)]);
 *   given([intake, closed]).when(visit, ctx).thenThrows('CASE_CLOSED');
 */
export function given(pastEvents: DomainEvent[]) {
  return {
    when(command: Envelope, ctx: DecideContext) {
      const run = () => decideEnvelope(command, pastEvents, ctx);
      return {
        /** The decision equals `expected` exactly. */
        // biome-ignore lint/suspicious/noThenProperty: the house's given/when/then vocabulary; never awaited
        then(expected: DomainEvent[]): DomainEvent[] {
          let events: DomainEvent[];
          try {
            events = run();
          } catch (error) {
            const code = error instanceof DomainError ? error.code : String(error);
            return fail(`expected ${expected.length} event(s), got the error ${code}`);
          }
          deepStrictEqual(events, expected);
          return events;
        },
        /** The decision throws a DomainError with this code. */
        thenThrows(code: ErrorCode): DomainError {
          let events: DomainEvent[];
          try {
            events = run();
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            strictEqual(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
            return error;
          }
          return fail(
            `expected ${code}, got ${events.length} event(s): ${events.map((e) => e.type).join(', ')}`,
          );
        },
      };
    },
  };
}

/** A decide context with nothing registered, for tests; override what the test needs. */
export function testContext(overrides: {
  now?: Date;
  actor?: Actor;
  workers?: Record<string, WorkerInfo>;
  projects?: Record<string, { organisationId: string }>;
  organisations?: string[];
}): DecideContext {
  return {
    now: overrides.now ?? new Date('2026-03-01T08:00:00+08:00'),
    actor: overrides.actor ?? { role: 'agency', organisationId: 'org-a' },
    workers: new Map(Object.entries(overrides.workers ?? {})),
    projects: new Map(Object.entries(overrides.projects ?? {})),
    organisations: new Set(overrides.organisations ?? []),
  };
}
