import { DomainError } from '@fengcheng/domain';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
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
  // No route matched: answer 404 rather than make a stranger prove who they are first.
  return request.routeOptions.url === undefined || isPublicRoute(request.routeOptions);
}

/** Whether a route is served without a key: health, metrics, the OpenAPI document and the docs. */
export function isPublicRoute(route: {
  url?: string | undefined;
  config?: { public?: boolean } | undefined;
}): boolean {
  if (route.config?.public === true) return true;
  const url = route.url ?? '';
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

/**
 * The RFC 6750 challenge a 401 carries: `invalid_token` when a bearer token was sent and
 * refused, the bare scheme when none was.
 */
export function bearerChallenge(request: FastifyRequest): string {
  const header = request.headers.authorization;
  return header && BEARER.test(header) ? 'Bearer error="invalid_token"' : 'Bearer';
}

const ROLES_ALLOWED = Symbol('roles allowed');

/** A hook made by `requireRole`, known by the roles it lets through. */
export type RoleCheck = ((request: FastifyRequest) => Promise<void>) & {
  readonly [ROLES_ALLOWED]: readonly Role[];
};

/**
 * A hook that lets only the given roles through (403 FORBIDDEN_ROLE otherwise). Wherever a
 * route lists it, it runs as an onRequest hook right after authentication (see
 * `checkRolesFirst`): the wrong role is refused before its body is read or validated.
 */
export function requireRole(...roles: Role[]): RoleCheck {
  const check = async (request: FastifyRequest) => {
    const auth = authOf(request);
    if (!roles.includes(auth.role)) {
      throw new DomainError('FORBIDDEN_ROLE', `this route is for ${roles.join(' or ')}, not ${auth.role}`);
    }
  };
  return Object.assign(check, { [ROLES_ALLOWED]: roles });
}

const HOOK_PHASES = ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const;

/**
 * An onRoute step: moves the role checks a route lists, in any phase, to the end of its
 * onRequest hooks, after authentication and the rate limit. Validating first would tell a
 * caller of the wrong role the route's schema (every event type, the admin body) before
 * refusing it. Returns whether the route has a role check.
 */
export function checkRolesFirst(route: RouteOptions): boolean {
  const hooks = route as unknown as Record<(typeof HOOK_PHASES)[number], unknown>;
  const checks: RoleCheck[] = [];
  for (const phase of HOOK_PHASES) {
    const listed = hooks[phase];
    if (listed === undefined || listed === null) continue;
    const all = (Array.isArray(listed) ? listed : [listed]) as Array<object>;
    const others = all.filter((hook) => !(ROLES_ALLOWED in hook));
    if (others.length === all.length) continue;
    checks.push(...(all.filter((hook) => ROLES_ALLOWED in hook) as RoleCheck[]));
    hooks[phase] = others;
  }
  if (checks.length === 0) return false;
  const onRequest = hooks.onRequest;
  hooks.onRequest = [...(Array.isArray(onRequest) ? onRequest : onRequest ? [onRequest] : []), ...checks];
  return true;
}
