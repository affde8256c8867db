import { z } from 'zod';
import { CommunityCodeSchema, IdSchema, ServiceSchema, TargetGroupSchema } from '../shared/primitives';

export const GroupActivityRecordedSchema = z.strictObject({
  activityId: IdSchema,
  projectId: IdSchema,
  workerIds: z.array(IdSchema).min(1).max(50),
  communityCode: CommunityCodeSchema,
  attendees: z.int().min(1).max(100_000),
  targetGroups: z.array(TargetGroupSchema).min(1).max(6),
  services: z.array(ServiceSchema).min(1).max(10),
});

export const SupervisionRecordedSchema = z.strictObject({
  supervisorId: IdSchema,
  superviseeId: IdSchema,
  minutes: z
    .int()
    .min(1)
    .max(24 * 60),
});

export const ACTIVITY_EVENT_SCHEMAS = {
  GroupActivityRecorded: GroupActivityRecordedSchema,
  SupervisionRecorded: SupervisionRecordedSchema,
} as const;
