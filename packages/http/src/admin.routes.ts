import { DomainError } from '@fengcheng/domain';
import { z } from 'zod';
import type { HttpApp } from './app';
import { requireRole } from './auth/authenticate';
import { type KeyStore, ROLES } from './auth/key-store';
import { problemResponses } from './problem';

/** An organisation id, as the domain names them. */
const OrganisationIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);

/** Only an agency key belongs to an organisation, and it must: an analyst's, reviewer's or admin's spans them all. */
const IssueKeyBody = z
  .strictObject({
    role: z.enum(ROLES),
    organisationId: OrganisationIdSchema.optional(),
    label: z.string().min(1).max(200),
  })
  .superRefine((body, context) => {
    if (body.role === 'agency' && body.organisationId === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['organisationId'],
        message: 'an agency key is bound to one organisation',
      });
    } else if (body.role !== 'agency' && body.organisationId !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['organisationId'],
        message: `only an agency key is bound to an organisation, not a ${body.role} key`,
      });
    }
  });

const IssuedKey = z.object({
  keyId: z.string(),
  key: z.string().meta({ description: 'The API key. It is shown only this once; only its hash is kept.' }),
});

export interface AdminRoutesDeps {
  keys: KeyStore;
  /**
   * Whether an organisation is registered. Given, a key for one that is not is refused
   * (422 ORGANISATION_NOT_REGISTERED): every write under such a key would be refused anyway,
   * and a mistyped id is better caught when the key is issued.
   */
  organisationRegistered?: (organisationId: string) => Promise<boolean>;
}

/** `POST /v1/admin/keys` and `DELETE /v1/admin/keys/{keyId}`, for administrators. */
export function registerAdminRoutes(app: HttpApp, deps: AdminRoutesDeps): void {
  const adminOnly = requireRole('admin');

  app.post(
    '/v1/admin/keys',
    {
      onRequest: adminOnly,
      schema: {
        summary: 'Issue an API key',
        tags: ['admin'],
        body: IssueKeyBody,
        response: { 201: IssuedKey, ...problemResponses(400, 422) },
      },
    },
    async (request, reply) => {
      const { role, organisationId, label } = request.body;
      if (
        organisationId !== undefined &&
        deps.organisationRegistered &&
        !(await deps.organisationRegistered(organisationId))
      ) {
        throw new DomainError(
          'ORGANISATION_NOT_REGISTERED',
          `organisation ${organisationId} is not registered: post its OrganisationRegistered to /v1/events first`,
        );
      }
      const issued = await deps.keys.issue(role, organisationId, label);
      request.log.info({ keyId: issued.keyId, role, organisationId }, 'api key issued');
      return reply.code(201).send(issued);
    },
  );

  app.delete(
    '/v1/admin/keys/:keyId',
    {
      onRequest: adminOnly,
      schema: {
        summary: 'Revoke an API key',
        tags: ['admin'],
        params: z.object({ keyId: z.string().min(1).max(128) }),
        response: { 204: z.undefined(), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const { keyId } = request.params;
      if (!(await deps.keys.revoke(keyId))) throw new DomainError('KEY_NOT_FOUND', `no API key ${keyId}`);
      request.log.info({ keyId }, 'api key revoked');
      return reply.code(204).send();
    },
  );
}
