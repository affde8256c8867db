import type { DomainEvent } from './events';

/**
 * The counting rule for service instances (服务人次), the only one in the code:
 * a visit counts 1, a group activity its attendees, a resource link 1; nothing else.
 * A voided entry takes back what it counted: projections subtract the target's count.
 */
export function serviceInstancesOf(event: Pick<DomainEvent, 'type' | 'data'>): number {
  switch (event.type) {
    case 'VisitRecorded':
    case 'ResourceLinked':
      return 1;
    case 'GroupActivityRecorded':
      return (event.data as { attendees: number }).attendees;
    default:
      return 0;
  }
}
