import { DomainError } from '@fengcheng/domain';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AuthContext, KeyStore, Role } from './key-store';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts as; set for every route that is not public. */
    auth: AuthContext | null;
  }
  interface FastifyContextConfig {
    /** A route anyone may call without a key (health, metrics, docs). */
    public?: boolean;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function isPublic(request: FastifyRequest): boolean {
  const route = request.routeOptions;
  if (route.config.public === true) return true;
  const url = route.url;
  // No route matched: answer 404 rather than make a stranger prove who they are first.
  if (url === undefined) return true;
  return url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');
}

/** The onRequest hook: resolves `Authorization: Bearer <key>` to `request.auth`. */
export function authenticateHook(keys: KeyStore) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (isPublic(request)) return;
    const header = request.headers.authorization;
    const match = header ? BEARER.exec(header) : null;
    if (!match?.[1]) throw new DomainError('UNAUTHENTICATED', 'send Authorization: Bearer <API key>');
    const result = await keys.authenticate(match[1]);
    if (result === 'revoked') throw new DomainError('KEY_REVOKED');
    if (result === null) throw new DomainError('UNAUTHENTICATED', 'the API key is not known');
    request.auth = result;
  };
}

/** The caller of an authenticated route; throws UNAUTHENTICATED if the route was public. */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new DomainError('UNAUTHENTICATED');
  return request.auth;
}

/** A preHandler that lets only the given roles through (403 FORBIDDEN_ROLE otherwise). */
export function requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
  return async (request) => {
    const auth = authOf(request);
    if (!roles.includes(auth.role)) {
      throw new DomainError('FORBIDDEN_ROLE', `this route is for ${roles.join(' or ')}, not ${auth.role}`);
    }
  };
}
