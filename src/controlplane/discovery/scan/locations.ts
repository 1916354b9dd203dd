import type { FindingKind } from './types.js';
import type { ScanTarget } from './targets.js';

/** A well-known place where a framework serves a description of its API by default. */
export interface ProbeLocation {
  readonly kind: FindingKind;
  readonly path: string;
  /** Who serves it there, for the documentation and for a reader of this list. */
  readonly servedBy: string;
  /** Defined for the origin only (RFC 8615 `.well-known`), never under a base path. */
  readonly originOnly?: boolean;
}

/**
 * Probed in this order, so that a small request budget is spent on the likeliest places
 * first. Each path is tried under the target's base path, then at the origin.
 */
export const PROBE_LOCATIONS: readonly ProbeLocation[] = [
  { kind: 'openapi', path: '/openapi.json', servedBy: 'FastAPI, flask-smorest, many others' },
  { kind: 'openapi', path: '/v3/api-docs', servedBy: 'Spring Boot springdoc-openapi' },
  { kind: 'graphql', path: '/graphql', servedBy: 'Apollo Server, GraphQL Yoga, Hot Chocolate, graphql-java, Strawberry, most servers' },
  { kind: 'mcp', path: '/mcp', servedBy: 'MCP Streamable HTTP transport (official SDKs, FastMCP)' },
  { kind: 'openapi', path: '/swagger/v1/swagger.json', servedBy: 'ASP.NET Core Swashbuckle' },
  { kind: 'openapi', path: '/swagger.json', servedBy: 'Flask-RESTX, hapi-swagger, many others' },
  { kind: 'openapi', path: '/v2/api-docs', servedBy: 'Spring Boot Springfox (Swagger 2.0)' },
  { kind: 'openapi', path: '/api-docs', servedBy: 'express-openapi, swagger-jsdoc setups' },
  { kind: 'openapi', path: '/api-json', servedBy: 'NestJS @nestjs/swagger mounted at /api' },
  { kind: 'openapi', path: '/api/schema/', servedBy: 'Django REST framework drf-spectacular' },
  { kind: 'graphql', path: '/api/graphql', servedBy: 'Next.js and other apps that mount GraphQL under /api' },
  { kind: 'openapi', path: '/openapi.yaml', servedBy: 'hand-written or generated YAML specs' },
  { kind: 'openapi', path: '/swagger.yaml', servedBy: 'hand-written or generated YAML specs (Swagger 2.0)' },
  { kind: 'openapi', path: '/documentation/json', servedBy: 'Fastify @fastify/swagger-ui' },
  { kind: 'openapi', path: '/swagger/doc.json', servedBy: 'Go swaggo (gin-swagger, echo-swagger)' },
  { kind: 'openapi', path: '/q/openapi', servedBy: 'Quarkus SmallRye OpenAPI' },
  { kind: 'openapi', path: '/api/openapi.json', servedBy: 'apps that mount their API under /api' },
  { kind: 'openapi', path: '/docs/openapi.json', servedBy: 'apps that publish the spec next to their docs' },
  { kind: 'openapi', path: '/.well-known/openapi.json', servedBy: 'hosts that advertise their spec at a well-known URI', originOnly: true },
];

/** One URL to probe for one target. */
export interface PlannedProbe {
  readonly kind: FindingKind;
  readonly url: string;
}

/** The URLs to probe for a target, in priority order, without duplicates. */
export function planProbes(target: ScanTarget, locations: readonly ProbeLocation[] = PROBE_LOCATIONS): PlannedProbe[] {
  const planned: PlannedProbe[] = [];
  const seen = new Set<string>();
  for (const location of locations) {
    const prefixes = target.basePath === '' || location.originOnly ? [''] : [target.basePath, ''];
    for (const prefix of prefixes) {
      const url = `${target.origin}${prefix}${location.path}`;
      // Base path /api and location /api/graphql meet at the same URL: probe it once.
      if (seen.has(`${location.kind} ${url}`)) continue;
      seen.add(`${location.kind} ${url}`);
      planned.push({ kind: location.kind, url });
    }
  }
  return planned;
}
