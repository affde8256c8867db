import { type Envelope, serviceInstancesOf } from '@fengcheng/domain';

/**
 * What each event adds to the analyst total by the counting rule, for events met in ledger
 * order: an entry its own service instances, a void minus those of the entry it voids. One
 * tally per organisation's events is enough: an entry is voided by its own organisation.
 */
export function serviceInstanceTally(): (envelope: Envelope) => number {
  const counted = new Map<string, number>();
  return (envelope) => {
    if (envelope.type === 'EntryVoided') return -(counted.get(envelope.data.targetEventId) ?? 0);
    const instances = serviceInstancesOf(envelope);
    if (instances !== 0) counted.set(envelope.eventId, instances);
    return instances;
  };
}
