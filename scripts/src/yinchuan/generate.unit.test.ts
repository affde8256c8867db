import { isValidCommunityCode, parseEnvelope } from '@fengcheng/domain';
import { describe, expect, it } from 'vitest';
import { generateYinchuan, SERVICE_INSTANCES_PER_SCALE, splitExactly, WORKERS } from './generate';
import { serviceInstanceTally } from './tally';

function countServiceInstances(dataset: ReturnType<typeof generateYinchuan>) {
  let total = 0;
  let events = 0;
  const tally = serviceInstanceTally();
  for (const org of dataset.organisations) {
    for (const envelope of dataset.eventsFor(org.organisationId)) {
      events++;
      total += tally(envelope);
    }
  }
  return { total, events };
}

describe('the Yinchuan generator', () => {
  const dataset = generateYinchuan({ seed: 7 });

  it('counts exactly 140,000 service instances by the counting rule', () => {
    expect(countServiceInstances(dataset).total).toBe(SERVICE_INSTANCES_PER_SCALE);
  });

  it('has the six county-level areas, 26 hubs, 60 stations, 7,599 workers and about 400 projects', () => {
    expect(new Set(dataset.organisations.map((o) => o.county))).toEqual(
      new Set(['640104', '640105', '640106', '640121', '640122', '640181']),
    );
    expect(dataset.organisations.filter((o) => o.kind === 'hub')).toHaveLength(26);
    expect(dataset.organisations.filter((o) => o.kind === 'station')).toHaveLength(60);
    expect(new Set(dataset.organisations.flatMap((o) => o.communities)).size).toBe(500);
    expect(dataset.workers).toHaveLength(WORKERS);
    expect(dataset.projects.length).toBeGreaterThanOrEqual(380);
    expect(dataset.projects.length).toBeLessThanOrEqual(420);
    expect(dataset.projects.filter((p) => p.brand).map((p) => p.brand)).toEqual([
      '童心向阳',
      '乐享家庭',
      '牵手夕阳红',
      '困境儿童援助',
    ]);
  });

  it('gives the same events for the same seed and different ones for another seed', () => {
    const first = [...generateYinchuan({ seed: 7 }).eventsFor('hub-01')].slice(0, 50);
    const again = [...generateYinchuan({ seed: 7 }).eventsFor('hub-01')].slice(0, 50);
    const other = [...generateYinchuan({ seed: 8 }).eventsFor('hub-01')].slice(0, 50);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('produces only envelopes that pass the contract schema', () => {
    const sample = [...dataset.registrations.slice(0, 200), ...[...dataset.eventsFor('station-640105003')]];
    for (const envelope of sample) {
      const parsed = parseEnvelope(envelope);
      expect(parsed.success, JSON.stringify(parsed.success ? null : parsed.issues)).toBe(true);
    }
    expect(dataset.organisations.every((o) => o.communities.every(isValidCommunityCode))).toBe(true);
  });

  it('transfers a case only to another worker than the one who has it (the decider refuses the same one)', () => {
    // The default seed's dataset, the one `npm start -- --yinchuan` loads, drew two such transfers once.
    const loaded = generateYinchuan({});
    let transfers = 0;
    for (const org of loaded.organisations) {
      const workerOf = new Map<string, string>();
      for (const envelope of loaded.eventsFor(org.organisationId)) {
        if (envelope.type === 'IntakeRecorded') workerOf.set(envelope.caseId!, envelope.data.workerId);
        if (envelope.type === 'CaseTransferred') {
          transfers++;
          expect(envelope.data.toWorkerId).not.toBe(workerOf.get(envelope.caseId!));
          workerOf.set(envelope.caseId!, envelope.data.toWorkerId);
        }
      }
    }
    expect(transfers).toBeGreaterThan(100);
  });

  it('splits a total into parts that add up exactly', () => {
    const parts = splitExactly(100, [
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ]);
    expect([...parts.values()].reduce((a, b) => a + b, 0)).toBe(100);
  });
});
