import { describe, expect, it } from 'vitest';
import { serviceInstancesOf } from './counting';
import { EVENT_TYPES, type EventType } from './events';

describe('the counting rule', () => {
  it('counts a visit 1', () => {
    expect(serviceInstancesOf({ type: 'VisitRecorded', data: {} as never })).toBe(1);
  });

  it('counts a group activity its attendees', () => {
    expect(serviceInstancesOf({ type: 'GroupActivityRecorded', data: { attendees: 37 } as never })).toBe(37);
  });

  it('counts a resource link 1', () => {
    expect(serviceInstancesOf({ type: 'ResourceLinked', data: {} as never })).toBe(1);
  });

  it('counts every other event type 0', () => {
    const counted: EventType[] = ['VisitRecorded', 'GroupActivityRecorded', 'ResourceLinked'];
    const others = EVENT_TYPES.filter((type) => !counted.includes(type));
    expect(others).toHaveLength(EVENT_TYPES.length - 3);
    for (const type of others) {
      expect(serviceInstancesOf({ type, data: { attendees: 99 } as never }), type).toBe(0);
    }
  });
});
