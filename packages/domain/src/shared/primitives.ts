import { z } from 'zod';
import { isValidCommunityCode, isValidRegionCode } from '../region/region';
import { isValidResidentId } from './resident-id';

/** An identifier chosen by the sender for an organisation, worker, project, client or activity. */
export const IdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'letters, digits, "_", "." or "-", at most 64, starting with a letter or digit',
  );

/**
 * A UUID, written in lower case whatever case it was sent in: UUIDs name the same thing in
 * either case (RFC 9562), and an eventId or caseId in upper case must not open a second case
 * or pass for a new event.
 */
export const UuidSchema = z.uuid().toLowerCase();

/** ISO-8601 date-time with an explicit offset (Z or ±hh:mm). */
export const DateTimeSchema = z.iso.datetime({ offset: true });
export const DateSchema = z.iso.date();

/** Any valid 12-digit statistical division code. */
export const RegionCodeSchema = z.string().refine(isValidRegionCode, 'a 12-digit statistical division code');

/** A village/community-level code: all four levels named. */
export const CommunityCodeSchema = z
  .string()
  .refine(isValidCommunityCode, 'a 12-digit village or community code (digits 10-12 not 000)');

export const ResidentIdSchema = z
  .string()
  .refine(isValidResidentId, 'an 18-character resident ID number with a valid check character');

export const TargetGroupSchema = z.enum(['elderly', 'child', 'disabled', 'low_income', 'family', 'other']);
export const TARGET_GROUPS = TargetGroupSchema.options;
export type TargetGroup = z.infer<typeof TargetGroupSchema>;

export const ServiceSchema = z.enum([
  'daily_living',
  'counselling',
  'tutoring',
  'health',
  'skills_training',
  'employment',
  'family_support',
  'recreation',
  'legal_aid',
  'other',
]);
export const SERVICES = ServiceSchema.options;
export type Service = z.infer<typeof ServiceSchema>;

export const RiskLevelSchema = z.enum(['low', 'medium', 'high']);
export type RiskLevel = z.infer<typeof RiskLevelSchema>;

export const CertificationSchema = z.enum(['none', 'junior', 'intermediate', 'senior']);
export type Certification = z.infer<typeof CertificationSchema>;

export const WorkerRoleSchema = z.enum(['frontline', 'supervisor']);
export type WorkerRole = z.infer<typeof WorkerRoleSchema>;

/**
 * Free text about the service (a referral's reason, a plan goal, why a case was reopened or an
 * entry voided), kept in the clear: each is required by its event, and after an erasure an event
 * whose personal field could not be left out could not be recorded at all (ADR 0004). Personal
 * details go in the notes, which are encrypted.
 */
export function serviceText(max: number) {
  return z.string().min(1).max(max).meta({
    description:
      'A service fact, stored in the clear: no names, ID numbers, phones, addresses or other personal details (those go in notes, which are encrypted)',
  });
}

/** Free text that may hold personal data (notes). */
export const NotesSchema = z.string().min(1).max(4000);
