import { z } from 'zod';
import {
  CertificationSchema,
  IdSchema,
  RegionCodeSchema,
  TargetGroupSchema,
  WorkerRoleSchema,
} from '../shared/primitives';

export const BRAND_PROJECTS = ['童心向阳', '乐享家庭', '牵手夕阳红', '困境儿童援助'] as const;

export const OrganisationRegisteredSchema = z.strictObject({
  organisationId: IdSchema,
  name: z.string().min(1).max(200),
  kind: z.enum(['hub', 'station', 'provider']),
  /** Where it is based: a county, township or community code. */
  regionCode: RegionCodeSchema,
  parentOrganisationId: IdSchema.optional(),
});

export const WorkerRegisteredSchema = z.strictObject({
  workerId: IdSchema,
  organisationId: IdSchema,
  certification: CertificationSchema,
  role: WorkerRoleSchema,
});

export const WorkerCertifiedSchema = z.strictObject({
  workerId: IdSchema,
  certification: CertificationSchema,
});

export const ProjectRegisteredSchema = z.strictObject({
  projectId: IdSchema,
  organisationId: IdSchema,
  name: z.string().min(1).max(200),
  /** One of the brand projects, when it is one. */
  brand: z.enum(BRAND_PROJECTS).optional(),
  fundingSource: z.enum(['venture_philanthropy', 'government_purchase', 'charity', 'other']),
  regionCode: RegionCodeSchema.optional(),
  targetGroups: z.array(TargetGroupSchema).max(6).optional(),
});

export const REGISTRY_EVENT_SCHEMAS = {
  OrganisationRegistered: OrganisationRegisteredSchema,
  WorkerRegistered: WorkerRegisteredSchema,
  WorkerCertified: WorkerCertifiedSchema,
  ProjectRegistered: ProjectRegisteredSchema,
} as const;
