import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import type { Static, TSchema } from '@sinclair/typebox';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyBaseLogger, type FastifyTypeProvider, type RawServerDefault } from 'fastify';
import { errorDefinition, type ErrorCode } from '../../model/errors.js';
import type { Actor } from '../agents/lifecycle.js';
import type { AuditService } from '../audit/audit-service.js';
import type { SinkStatus } from '../audit/sinks/sink-worker.js';
import type { Governance } from '../governance/governance.js';
import { GovernanceError } from '../governance/governance-error.js';
import type { AdminAuthenticator } from './admin-authenticator.js';
import { registerAccessRoutes } from './routes/access-routes.js';
import { registerAdminRoutes } from './routes/admin-routes.js';
import { registerAgentRoutes } from './routes/agent-routes.js';
import { registerAuditRoutes } from './routes/audit-routes.js';
import { registerDiscoveryRoutes } from './routes/discovery-routes.js';
import { registerIncidentRoutes } from './routes/incident-routes.js';
import { APPROVAL_CALLBACK_PATH, registerApprovalRoutes } from './routes/approval-routes.js';
import { registerKeyRoutes } from './routes/key-routes.js';
import { registerReportRoutes } from './routes/report-routes.js';
import { SHARED_SCHEMAS } from './schemas.js';

/**
 * Requests typed from their TypeBox schemas; answers left untyped, because the views are
 * written with JSON.stringify (dates as ISO text, readonly arrays) rather than by the schemas.
 */
interface RequestTypes extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: unknown;
}

export type AdminApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, RequestTypes>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: set for every route but the public ones. */
    actor: Actor;
  }
}

export interface AdminServerOptions {
  readonly governance: Governance;
  readonly authenticator: AdminAuthenticator;
  /** Health, readiness and metrics of the data plane in the same process, served unauthenticated. */
  readonly ops?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** The audit log: query, export, proofs and legal holds under /audit (absent: no audit routes). */
  readonly audit?: AuditService;
  /** The SIEM export sinks' state, for GET /audit/sinks. */
  readonly auditSinks?: () => Promise<readonly SinkStatus[]>;
  /** HMAC key of signed approval callbacks (`stepUp.callbackSecret`, resolved); without it they are refused. */
  readonly approvalCallbackSecret?: string;
}

// The approval callback carries no token: its HMAC signature authenticates the chat-ops tool.
const PUBLIC_PATHS = new Set(['/openapi.json', '/healthz', '/readyz', '/metrics', APPROVAL_CALLBACK_PATH]);

/**
 * The admin API (humans only, admin port): fastify with TypeBox schemas for every request, an
 * OpenAPI document at /openapi.json, authentication by admin token or OIDC token on every route
 * but the public ones, and problem documents with stable codes for every refusal.
 */
export async function createAdminServer(options: AdminServerOptions): Promise<AdminApp> {
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  }).withTypeProvider<RequestTypes>();
  // Responses are documented by their schemas but written with JSON.stringify, so a field a
  // schema does not list is never silently dropped from an answer.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Warden admin API', version: '1', description: 'Governance of AI agents: lifecycle, credentials, access requests, step-up approvals and reviews. Humans only (signed chat-ops callbacks aside); every change is logged with who, what and why.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an admin token (wda_…) or an OIDC token of a configured provider' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`) },
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  // Every documented route can refuse in the same few ways; the document says so for each.
  const refusal = { $ref: 'Problem' };
  const refusals = { 400: refusal, 401: refusal, 403: refusal, 404: refusal, 409: refusal, 500: refusal };
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ?? {}) as { hide?: boolean; response?: Record<string, unknown> };
    if (schema.hide === true) return;
    route.schema = { ...schema, response: { ...refusals, ...schema.response } };
  });

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (PUBLIC_PATHS.has(path)) return;
    const actor = await options.authenticator.authenticate(request.headers.authorization);
    if (actor === undefined) {
      reply.header('www-authenticate', 'Bearer realm="warden-admin"');
      throw new GovernanceError('WARDEN_ADMIN_UNAUTHENTICATED', 'send an admin token or OIDC token as `Authorization: Bearer …`');
    }
    request.actor = actor;
  });

  app.setErrorHandler((error: Error & { validation?: unknown; statusCode?: number }, request, reply) => {
    if (error instanceof GovernanceError) return problem(reply, request, error.code, error.message, error.extra);
    if (error.validation !== undefined) return problem(reply, request, 'WARDEN_ADMIN_INVALID', error.message);
    if (error.statusCode === 413) return problem(reply, request, 'WARDEN_ADMIN_INVALID', 'the request body is larger than 64 KiB');
    if (error.statusCode !== undefined && error.statusCode < 500) return problem(reply, request, 'WARDEN_ADMIN_INVALID', error.message);
    process.emitWarning(`warden: admin API request ${request.id} failed: ${error.stack ?? error.message}`);
    return problem(reply, request, 'WARDEN_ADMIN_INTERNAL', `the control plane failed; report request ${request.id}`);
  });
  app.setNotFoundHandler((request, reply) => problem(reply, request, 'WARDEN_ADMIN_NOT_FOUND', `no admin route ${request.method} ${request.url.split('?')[0]}; the routes are in /openapi.json`));

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (options.ops !== undefined) {
    const ops = options.ops;
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      app.get(path, { schema: { hide: true } }, async (request, reply) => {
        reply.hijack();
        if (!(await ops(request.raw, reply.raw))) {
          reply.raw.writeHead(404);
          reply.raw.end();
        }
      });
    }
  }

  const governance = options.governance;
  registerAgentRoutes(app, governance);
  registerKeyRoutes(app, governance);
  registerAccessRoutes(app, governance);
  registerApprovalRoutes(app, governance, { callbackSecret: options.approvalCallbackSecret });
  registerAdminRoutes(app, governance);
  registerDiscoveryRoutes(app, governance);
  registerIncidentRoutes(app, governance);
  if (options.audit !== undefined) {
    registerAuditRoutes(app, governance, options.audit, options.auditSinks ?? (async () => []));
    registerReportRoutes(app, governance, options.audit);
  }
  return app;
}

function problem(reply: FastifyReply, request: FastifyRequest, code: ErrorCode, detail: string, extra: Readonly<Record<string, unknown>> = {}): FastifyReply {
  const definition = errorDefinition(code);
  return reply
    .code(definition.status)
    .type('application/problem+json')
    .header('cache-control', 'no-store')
    .send({ type: `https://warden.dev/errors/${code}`, title: definition.meaning, status: definition.status, code, detail, requestId: request.id, ...extra });
}
