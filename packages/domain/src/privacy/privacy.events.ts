import { z } from 'zod';
import { IdSchema } from '../shared/primitives';

export const PersonalDataErasedSchema = z.strictObject({
  /** The organisation whose client this is: client refs are unique within one organisation. */
  organisationId: IdSchema,
  clientRef: IdSchema,
  legalBasis: z.string().min(1).max(500),
});

export const PRIVACY_EVENT_SCHEMAS = {
  PersonalDataErased: PersonalDataErasedSchema,
} as const;
