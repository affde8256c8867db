import { randomUUID } from 'node:crypto';
import { SCHEMA_VERSION } from '@fengcheng/domain';
import type { RecordedEvent } from '@fengcheng/event-store';
import { authOf, type Role } from '@fengcheng/http';
import {
  auditStreamId,
  CASE_RECORD_READ,
  type CaseRecordRead,
  CaseRecordReadSchema,
  clientOfCase,
  ERASED,
  encryptionContext,
  hasEncryptedPersonalData,
  type KeyVault,
  revealPersonalData,
  WITHHELD,
} from '@fengcheng/privacy';
import type { FastifyRequest } from 'fastify';
import type { QueryRoutesDeps } from './deps';

/** Roles that see a case's personal fields in the clear (an agency only reaches its own cases). */
const SEES_PLAINTEXT: ReadonlySet<Role> = new Set(['reviewer', 'agency']);

/**
 * Records a read of a case in its audit stream, before anything is returned: if the record
 * cannot be written, the read fails (500) and nothing is shown.
 */
async function recordCaseRead(
  deps: Pick<QueryRoutesDeps, 'store' | 'clock'>,
  request: FastifyRequest,
  caseId: string,
  purpose: string | null,
): Promise<void> {
  const auth = authOf(request);
  const data: CaseRecordRead = CaseRecordReadSchema.parse({
    caseId,
    keyId: auth.keyId,
    role: auth.role,
    ...(auth.organisationId !== undefined ? { organisationId: auth.organisationId } : {}),
    purpose,
    route: request.routeOptions.url ?? request.url,
  });
  const now = (deps.clock ?? (() => new Date()))();
  await deps.store.append(
    auditStreamId(caseId),
    [
      {
        eventId: randomUUID(),
        type: CASE_RECORD_READ,
        occurredAt: now.toISOString(),
        data,
        metadata: {
          ...(auth.organisationId !== undefined ? { organisationId: auth.organisationId } : {}),
          keyId: auth.keyId,
          role: auth.role,
          correlationId: request.id,
          schemaVersion: SCHEMA_VERSION,
        },
      },
    ],
    { expectedVersion: 'any' },
  );
}

/**
 * A case's events as `role` may see them: personal fields decrypted for reviewers and the
 * owning agency, `"[withheld]"` for anyone else, `"[erased]"` once the client was erased.
 * The stored events (and so their hashes) are not changed.
 */
async function revealCase(
  vault: KeyVault,
  role: Role,
  events: readonly RecordedEvent[],
): Promise<RecordedEvent[]> {
  if (!events.some(hasEncryptedPersonalData)) return [...events];
  let access: Buffer | typeof ERASED | typeof WITHHELD = WITHHELD;
  if (SEES_PLAINTEXT.has(role)) {
    const client = clientOfCase(events);
    const key = client ? await vault.keyForReading(client) : null;
    // No key row at all for data that was encrypted means it is gone: show it as erased.
    access = Buffer.isBuffer(key) ? key : ERASED;
  }
  return events.map((event) =>
    revealPersonalData(event, access, encryptionContext(event.eventId, event.source)),
  );
}

/**
 * A case's events for this request's reader, once the read is on record: the audit append
 * and the decryption run side by side, and both must settle before anything is returned —
 * a failed audit append fails the read.
 */
export async function revealRecorded(
  deps: Pick<QueryRoutesDeps, 'store' | 'clock' | 'vault'>,
  request: FastifyRequest,
  caseId: string,
  purpose: string | null,
  events: readonly RecordedEvent[],
): Promise<RecordedEvent[]> {
  const [, revealed] = await Promise.all([
    recordCaseRead(deps, request, caseId, purpose),
    revealCase(deps.vault, authOf(request).role, events),
  ]);
  return revealed;
}
