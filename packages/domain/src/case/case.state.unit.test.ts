import { describe, expect, it } from 'vitest';
import { caseStateOf, stateAt } from '../decide';
import type { DomainEvent } from '../events';
import { closeData, cmd, ev, intakeData, referralData, resourceData, visitData } from '../testing/fixtures';
import type { CaseEvent } from './case.events';
import { evolve, initialState, replay } from './case.state';

const at = (hour: number) => `2026-02-10T${String(hour).padStart(2, '0')}:00:00+08:00`;
const intake = ev(cmd('IntakeRecorded', intakeData(), { occurredAt: at(8) }));
const visit1 = ev(cmd('VisitRecorded', visitData({ visitId: 'v-1' }), { occurredAt: at(9) }));
const visit2 = ev(cmd('VisitRecorded', visitData({ visitId: 'v-2' }), { occurredAt: at(11) }));
const link = ev(cmd('ResourceLinked', resourceData(), { occurredAt: at(10) }));
const voidOf = (target: DomainEvent, hour = 12) =>
  ev(
    cmd(
      'EntryVoided',
      { targetEventId: target.eventId, reason: 'entered by mistake' },
      { occurredAt: at(hour) },
    ),
  );

describe('case state', () => {
  it('starts not opened, at version 0', () => {
    expect(initialState()).toMatchObject({ status: 'not_opened', organisationId: null, version: 0 });
  });

  it('takes owner, worker, project, community, groups and risk from the intake', () => {
    expect(caseStateOf([intake])).toMatchObject({
      status: 'open',
      organisationId: 'org-a',
      workerId: 'w-a1',
      projectId: 'p-a',
      communityCode: '640104001001',
      clientRef: 'client-1',
      targetGroups: ['elderly'],
      riskLevel: 'medium',
      openedAt: at(8),
      version: 1,
    });
  });

  it('counts visits and resources as service instances and keeps the latest visit time', () => {
    const state = caseStateOf([intake, visit2, visit1, link]);
    expect(state.counts).toEqual({
      visits: 2,
      resourcesLinked: 1,
      serviceInstances: 3,
      transfers: 0,
      reopenings: 0,
    });
    expect(state.lastVisitAt).toBe(at(11));
    expect(state.version).toBe(4);
  });

  it('takes a voided visit back out of the counts and of lastVisitAt', () => {
    const state = caseStateOf([intake, visit1, visit2, link, voidOf(visit2)]);
    expect(state.counts.visits).toBe(1);
    expect(state.counts.serviceInstances).toBe(2);
    expect(state.lastVisitAt).toBe(at(9));
    expect(state.entries[visit2.eventId]).toEqual({
      type: 'VisitRecorded',
      occurredAt: at(11),
      voided: true,
      serviceInstances: 1,
    });
  });

  it('takes a voided resource link back out of the counts', () => {
    const state = caseStateOf([intake, link, voidOf(link)]);
    expect(state.counts.resourcesLinked).toBe(0);
    expect(state.counts.serviceInstances).toBe(0);
  });

  it('keeps the first and latest assessment, and the latest risk level', () => {
    const a1 = ev(cmd('AssessmentRecorded', { workerId: 'w-a1', scores: { health: 8 }, riskLevel: 'high' }));
    const a2 = ev(cmd('AssessmentRecorded', { workerId: 'w-a1', scores: { health: 5 }, riskLevel: 'low' }));
    const state = caseStateOf([intake, a1, a2]);
    expect(state.firstAssessment?.scores).toEqual({ health: 8 });
    expect(state.latestAssessment?.scores).toEqual({ health: 5 });
    expect(state.riskLevel).toBe('low');
    const afterVoid = caseStateOf([intake, a1, a2, voidOf(a2)]);
    expect(afterVoid.latestAssessment?.eventId).toBe(a1.eventId);
    expect(afterVoid.riskLevel).toBe('high');
    expect(caseStateOf([intake, a1, voidOf(a1)]).riskLevel).toBe('medium');
  });

  it('keeps the latest plan’s goals, falling back when it is voided', () => {
    const g = (goalId: string) => [{ goalId, need: 'health', description: 'walks daily' }];
    const p1 = ev(cmd('CasePlanRecorded', { goals: g('g1'), approvedBy: 'sup-a' }));
    const p2 = ev(cmd('CasePlanRecorded', { goals: g('g2') }));
    expect(caseStateOf([intake, p1, p2])).toMatchObject({ goals: g('g2'), planApprovedBy: null });
    expect(caseStateOf([intake, p1, p2, voidOf(p2)])).toMatchObject({
      goals: g('g1'),
      planApprovedBy: 'sup-a',
    });
  });

  it('tracks consents; voiding a withdrawal makes the consent active again', () => {
    const given = ev(
      cmd('ConsentRecorded', {
        scope: 'share_with_other_organisations',
        signatory: 'guardian',
        expiresOn: '2026-12-31',
      }),
    );
    const withdrawn = ev(
      cmd('ConsentWithdrawn', { scope: 'share_with_other_organisations', signatory: 'guardian' }),
    );
    expect(caseStateOf([intake, given]).consents).toEqual({
      share_with_other_organisations: { active: true, signatory: 'guardian', expiresOn: '2026-12-31' },
    });
    expect(caseStateOf([intake, given, withdrawn]).consents.share_with_other_organisations?.active).toBe(
      false,
    );
    expect(
      caseStateOf([intake, given, withdrawn, voidOf(withdrawn)]).consents.share_with_other_organisations
        ?.active,
    ).toBe(true);
  });

  it('moves referrals through their states', () => {
    const made = ev(cmd('ReferralMade', referralData()));
    const accepted = ev(cmd('ReferralAccepted', { referralId: 'r-1' }));
    const completed = ev(cmd('ReferralCompleted', { referralId: 'r-1', outcome: 'treated' }));
    expect(caseStateOf([intake, made]).referrals['r-1']).toEqual({
      state: 'requested',
      toOrganisation: 'org-b',
      service: 'health',
      urgency: 'routine',
      madeAt: made.occurredAt,
    });
    expect(caseStateOf([intake, made, accepted, completed]).referrals['r-1']?.state).toBe('completed');
  });

  it('moves ownership and responsibility with a transfer', () => {
    const transfer = ev(cmd('CaseTransferred', { toWorkerId: 'w-b1', toOrganisationId: 'org-b' }));
    expect(caseStateOf([intake, transfer])).toMatchObject({ organisationId: 'org-b', workerId: 'w-b1' });
    const inside = ev(cmd('CaseTransferred', { toWorkerId: 'w-a2' }));
    expect(caseStateOf([intake, inside])).toMatchObject({ organisationId: 'org-a', workerId: 'w-a2' });
  });

  it('records closure and clears it on reopening', () => {
    const closed = ev(cmd('CaseClosed', { ...closeData(), summary: 'done' }, { occurredAt: at(13) }));
    expect(caseStateOf([intake, closed])).toMatchObject({
      status: 'closed',
      closedAt: at(13),
      closure: { reason: 'goals_achieved', goalAttainment: 1, summary: 'done' },
    });
    const reopened = ev(cmd('CaseReopened', { reason: 'relapse' }));
    expect(caseStateOf([intake, closed, reopened])).toMatchObject({
      status: 'open',
      closedAt: null,
      closure: null,
      counts: { reopenings: 1 },
    });
  });

  it('does not undo a closure when it is voided (CaseReopened does that)', () => {
    const closed = ev(cmd('CaseClosed', closeData()));
    expect(caseStateOf([intake, closed, voidOf(closed)]).status).toBe('closed');
  });

  it('is JSON-safe: a round trip through JSON gives the same state', () => {
    const state = caseStateOf([intake, visit1, link, voidOf(link)]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('does not change the state it was given', () => {
    const before = caseStateOf([intake, visit1]);
    const copy = structuredClone(before);
    const after = evolve(before, voidOf(visit1) as CaseEvent);
    expect(after.counts.visits).toBe(0);
    expect(before).toEqual(copy);
  });
});

it('replays onward from a given state without changing it', () => {
  const start = caseStateOf([intake, visit1]);
  const copy = structuredClone(start);
  const state = replay([link, voidOf(visit1)] as CaseEvent[], start);
  expect(state.counts).toMatchObject({ visits: 0, resourcesLinked: 1, serviceInstances: 1 });
  expect(start).toEqual(copy);
});

describe('stateAt', () => {
  const events = [intake, visit1, link, visit2, voidOf(visit2, 12)];

  it('replays up to a version', () => {
    const state = stateAt(events, { version: 2 });
    expect(state.version).toBe(2);
    expect(state.counts.visits).toBe(1);
    expect(state.counts.resourcesLinked).toBe(0);
  });

  it('replays the events that occurred at or before asOf', () => {
    const state = stateAt(events, { asOf: new Date(at(11)) });
    expect(state.version).toBe(4);
    expect(state.counts.visits).toBe(2);
    expect(state.lastVisitAt).toBe(at(11));
  });

  it('includes a late-recorded entry dated before asOf and leaves out later-dated ones', () => {
    const late = ev(cmd('VisitRecorded', visitData({ visitId: 'v-0' }), { occurredAt: at(8) }));
    const state = stateAt([intake, visit2, late], { asOf: new Date(at(9)) });
    expect(state.counts.visits).toBe(1);
    expect(state.lastVisitAt).toBe(at(8));
  });

  it('applies both limits together', () => {
    expect(stateAt(events, { asOf: new Date(at(23)), version: 3 }).counts.serviceInstances).toBe(2);
  });

  it('gives the full state with no limit, and the initial state before the intake', () => {
    expect(stateAt(events, {})).toEqual(caseStateOf(events));
    expect(stateAt(events, { asOf: new Date(at(7)) })).toEqual(initialState());
  });
});
