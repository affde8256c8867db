import { describe, expect, it } from 'vitest';
import { otherStateOf } from '../decide';
import type { EventData } from '../events';
import { ADMIN, AGENCY_A, AGENCY_B, cmd, ctxFor, ev } from '../testing/fixtures';
import { given } from '../testing/given';

const none = { caseId: undefined };
const organisation = (over: Partial<EventData<'OrganisationRegistered'>> = {}) =>
  cmd(
    'OrganisationRegistered',
    { organisationId: 'org-c', name: '寸草心', kind: 'hub', regionCode: '640104000000', ...over },
    none,
  );
const project = (over: Partial<EventData<'ProjectRegistered'>> = {}) =>
  cmd(
    'ProjectRegistered',
    {
      projectId: 'p-new',
      organisationId: 'org-a',
      name: '牵手夕阳红',
      brand: '牵手夕阳红',
      fundingSource: 'venture_philanthropy',
      ...over,
    },
    none,
  );
const worker = (over: Partial<EventData<'WorkerRegistered'>> = {}) =>
  cmd(
    'WorkerRegistered',
    { workerId: 'w-new', organisationId: 'org-a', certification: 'none', role: 'frontline', ...over },
    none,
  );
const certified = (workerId = 'w-new') =>
  cmd('WorkerCertified', { workerId, certification: 'intermediate' }, none);
const activity = (over: Partial<EventData<'GroupActivityRecorded'>> = {}) =>
  cmd(
    'GroupActivityRecorded',
    {
      activityId: 'act-1',
      projectId: 'p-a',
      workerIds: ['w-a1', 'sup-a'],
      communityCode: '640106002003',
      attendees: 40,
      targetGroups: ['child'],
      services: ['tutoring'],
      ...over,
    },
    none,
  );
const supervision = (over: Partial<EventData<'SupervisionRecorded'>> = {}) =>
  cmd('SupervisionRecorded', { supervisorId: 'sup-a', superviseeId: 'w-a1', minutes: 60, ...over }, none);
const erased = () =>
  cmd(
    'PersonalDataErased',
    { organisationId: 'org-a', clientRef: 'client-1', legalBasis: 'PIPL art. 47' },
    none,
  );
const voidActivity = (targetEventId: string) =>
  cmd('EntryVoided', { targetEventId, reason: 'recorded twice', activityId: 'act-1' }, none);

describe('registrations', () => {
  it('lets an admin register an organisation', () => {
    const c = organisation();
    given([])
      .when(c, ADMIN)
      .then([ev(c)]);
  });

  it('refuses an organisation from an agency (FORBIDDEN_ROLE)', () => {
    given([]).when(organisation(), AGENCY_A).thenThrows('FORBIDDEN_ROLE');
  });

  it('refuses an organisation twice (ALREADY_REGISTERED)', () => {
    given([ev(organisation())])
      .when(organisation(), ADMIN)
      .thenThrows('ALREADY_REGISTERED');
  });

  it('refuses an unregistered parent organisation (ORGANISATION_NOT_REGISTERED)', () => {
    given([])
      .when(organisation({ parentOrganisationId: 'org-z' }), ADMIN)
      .thenThrows('ORGANISATION_NOT_REGISTERED');
  });

  it('lets an admin register a project of a registered organisation', () => {
    const c = project();
    given([])
      .when(c, ADMIN)
      .then([ev(c)]);
  });

  it('refuses a project from an agency (FORBIDDEN_ROLE)', () => {
    given([]).when(project(), AGENCY_A).thenThrows('FORBIDDEN_ROLE');
  });

  it('refuses a project twice (ALREADY_REGISTERED)', () => {
    given([ev(project())])
      .when(project(), ADMIN)
      .thenThrows('ALREADY_REGISTERED');
  });

  it('refuses a project of an unregistered organisation (ORGANISATION_NOT_REGISTERED)', () => {
    given([])
      .when(project({ organisationId: 'org-z' }), ADMIN)
      .thenThrows('ORGANISATION_NOT_REGISTERED');
  });

  it('lets an admin, or an agency for its own organisation, register a worker', () => {
    const c = worker();
    given([])
      .when(c, ADMIN)
      .then([ev(c)]);
    given([])
      .when(c, AGENCY_A)
      .then([ev(c)]);
  });

  it("refuses an agency registering another organisation's worker (NOT_YOUR_ORGANISATION)", () => {
    given([]).when(worker(), AGENCY_B).thenThrows('NOT_YOUR_ORGANISATION');
  });

  it('refuses a worker twice (ALREADY_REGISTERED)', () => {
    given([ev(worker())])
      .when(worker(), AGENCY_A)
      .thenThrows('ALREADY_REGISTERED');
  });

  it('refuses a worker of an unregistered organisation (ORGANISATION_NOT_REGISTERED)', () => {
    given([])
      .when(worker({ organisationId: 'org-z' }), ADMIN)
      .thenThrows('ORGANISATION_NOT_REGISTERED');
  });

  for (const role of ['analyst', 'reviewer'] as const) {
    it(`refuses a worker from the ${role} role (FORBIDDEN_ROLE)`, () => {
      given([])
        .when(worker(), ctxFor({ actor: { role } }))
        .thenThrows('FORBIDDEN_ROLE');
    });
  }

  it('certifies a registered worker of the agency’s own organisation', () => {
    const c = certified();
    given([ev(worker())])
      .when(c, AGENCY_A)
      .then([ev(c)]);
    given([ev(worker())])
      .when(c, ADMIN)
      .then([ev(c)]);
  });

  it('refuses to certify an unregistered worker (WORKER_NOT_REGISTERED)', () => {
    given([]).when(certified('w-ghost'), AGENCY_A).thenThrows('WORKER_NOT_REGISTERED');
  });

  it("refuses to certify another organisation's worker (WORKER_OF_OTHER_ORGANISATION)", () => {
    given([ev(worker())])
      .when(certified(), AGENCY_B)
      .thenThrows('WORKER_OF_OTHER_ORGANISATION');
  });

  it('keeps a worker’s latest certification in the stream state', () => {
    const state = otherStateOf([ev(worker()), ev(certified())]);
    expect(state).toMatchObject({
      registered: true,
      organisationId: 'org-a',
      worker: { role: 'frontline', certification: 'intermediate' },
      version: 2,
    });
  });
});

describe('group activities', () => {
  it('records an activity of the agency’s own workers under a registered project', () => {
    const c = activity();
    given([])
      .when(c, AGENCY_A)
      .then([ev(c)]);
  });

  it('refuses an activity from an admin (FORBIDDEN_ROLE)', () => {
    given([]).when(activity(), ADMIN).thenThrows('FORBIDDEN_ROLE');
  });

  it('refuses an unregistered project (PROJECT_NOT_REGISTERED)', () => {
    given([])
      .when(activity({ projectId: 'p-none' }), AGENCY_A)
      .thenThrows('PROJECT_NOT_REGISTERED');
  });

  it("refuses another organisation's project (PROJECT_OF_OTHER_ORGANISATION)", () => {
    given([])
      .when(activity({ projectId: 'p-b' }), AGENCY_A)
      .thenThrows('PROJECT_OF_OTHER_ORGANISATION');
  });

  it('refuses an unregistered worker (WORKER_NOT_REGISTERED)', () => {
    given([])
      .when(activity({ workerIds: ['w-a1', 'ghost'] }), AGENCY_A)
      .thenThrows('WORKER_NOT_REGISTERED');
  });

  it('refuses a worker of another organisation (WORKER_OF_OTHER_ORGANISATION)', () => {
    given([])
      .when(activity({ workerIds: ['w-a1', 'w-b1'] }), AGENCY_A)
      .thenThrows('WORKER_OF_OTHER_ORGANISATION');
  });

  it('refuses the same activity twice (ACTIVITY_ALREADY_RECORDED)', () => {
    given([ev(activity())])
      .when(activity(), AGENCY_A)
      .thenThrows('ACTIVITY_ALREADY_RECORDED');
  });

  it('refuses an activity more than 5 minutes in the future (OCCURRED_IN_FUTURE)', () => {
    const c = cmd('GroupActivityRecorded', activity().data, {
      caseId: undefined,
      occurredAt: '2026-03-01T09:00:00+08:00',
    });
    given([]).when(c, AGENCY_A).thenThrows('OCCURRED_IN_FUTURE');
  });

  it('voids an activity entry, which takes its attendees back', () => {
    const recorded = ev(activity());
    const voiding = voidActivity(recorded.eventId);
    given([recorded])
      .when(voiding, AGENCY_A)
      .then([ev(voiding)]);
    expect(otherStateOf([recorded]).serviceInstances).toBe(40);
    expect(otherStateOf([recorded, ev(voiding)]).serviceInstances).toBe(0);
  });

  it("refuses to void another organisation's activity (NOT_YOUR_ORGANISATION)", () => {
    const recorded = ev(activity());
    given([recorded]).when(voidActivity(recorded.eventId), AGENCY_B).thenThrows('NOT_YOUR_ORGANISATION');
  });

  it('refuses to void an entry not in the activity (ENTRY_NOT_FOUND)', () => {
    given([ev(activity())])
      .when(voidActivity(ev(worker()).eventId), AGENCY_A)
      .thenThrows('ENTRY_NOT_FOUND');
  });

  it('refuses to void an activity twice (ENTRY_ALREADY_VOIDED)', () => {
    const recorded = ev(activity());
    given([recorded, ev(voidActivity(recorded.eventId))])
      .when(voidActivity(recorded.eventId), AGENCY_A)
      .thenThrows('ENTRY_ALREADY_VOIDED');
  });

  it('refuses to void a void (ENTRY_NOT_VOIDABLE)', () => {
    const recorded = ev(activity());
    const voiding = ev(voidActivity(recorded.eventId));
    given([recorded, voiding]).when(voidActivity(voiding.eventId), AGENCY_A).thenThrows('ENTRY_NOT_VOIDABLE');
  });
});

describe('supervision', () => {
  it('records supervision by a supervisor of the same organisation', () => {
    const c = supervision();
    given([])
      .when(c, AGENCY_A)
      .then([ev(c)]);
  });

  it('refuses a frontline worker as supervisor (NOT_A_SUPERVISOR)', () => {
    given([])
      .when(supervision({ supervisorId: 'w-a2' }), AGENCY_A)
      .thenThrows('NOT_A_SUPERVISOR');
  });

  it("refuses another organisation's supervisor (WORKER_OF_OTHER_ORGANISATION)", () => {
    given([])
      .when(supervision({ supervisorId: 'sup-b' }), AGENCY_A)
      .thenThrows('WORKER_OF_OTHER_ORGANISATION');
  });

  it("refuses another organisation's supervisee (WORKER_OF_OTHER_ORGANISATION)", () => {
    given([])
      .when(supervision({ superviseeId: 'w-b1' }), AGENCY_A)
      .thenThrows('WORKER_OF_OTHER_ORGANISATION');
  });

  it('refuses an unregistered supervisee (WORKER_NOT_REGISTERED)', () => {
    given([])
      .when(supervision({ superviseeId: 'ghost' }), AGENCY_A)
      .thenThrows('WORKER_NOT_REGISTERED');
  });

  it('adds up supervision minutes on the supervisee’s stream', () => {
    expect(
      otherStateOf([ev(worker()), ev(supervision()), ev(supervision({ minutes: 30 }))]).supervisionMinutes,
    ).toBe(90);
  });
});

describe('erasure', () => {
  it('lets an admin erase a client’s personal data', () => {
    const c = erased();
    given([])
      .when(c, ADMIN)
      .then([ev(c)]);
  });

  it('refuses erasure by an agency (FORBIDDEN_ROLE)', () => {
    given([]).when(erased(), AGENCY_A).thenThrows('FORBIDDEN_ROLE');
  });
});
