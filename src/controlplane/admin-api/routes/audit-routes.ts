import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { ProofUnavailableError, consistencyProof, inclusionProof } from '../../audit/audit-proofs.js';
import { parseCursor, queryAudit, summarizeAccess, scanAudit, type AuditFilter } from '../../audit/audit-query.js';
import { auditCsv } from '../../audit/audit-export-format.js';
import { AuditGapError } from '../../audit/audit-log.js';
import type { AuditService } from '../../audit/audit-service.js';
import type { SinkStatus } from '../../audit/sinks/sink-worker.js';
import { authorize, hasRole } from '../../governance/governance-context.js';
import type { Governance } from '../../governance/governance.js';
import { GovernanceError } from '../../governance/governance-error.js';
import type { AdminApp } from '../admin-server.js';
import { requireFleetReader } from '../read-scope.js';

const Problem = Type.Ref('Problem');
const Outcome = Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('would-deny'), Type.Literal('error')]);

/** The filters of `GET /audit/events`, also used by the CLI (docs/audit.md). */
const AuditQuerystring = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'records at or after this time' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'records before this time' })),
  agent: Type.Optional(Type.String({ maxLength: 200 })),
  api: Type.Optional(Type.String({ maxLength: 200 })),
  operation: Type.Optional(Type.String({ maxLength: 200 })),
  dataClass: Type.Optional(Type.String({ maxLength: 200 })),
  decision: Type.Optional(Outcome),
  status: Type.Optional(Type.String({ pattern: '^([1-5]xx|[0-9]{1,3})$', description: 'a status (404) or a class (4xx)' })),
  srcIp: Type.Optional(Type.String({ maxLength: 64 })),
  country: Type.Optional(Type.String({ maxLength: 8 })),
  text: Type.Optional(Type.String({ minLength: 2, maxLength: 200, description: 'case-insensitive text in path, agent, API, operation, reason, rule, request id or credential id' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 20, description: 'the `next` of the previous page' })),
  order: Type.Optional(Type.Union([Type.Literal('oldest'), Type.Literal('newest')], { default: 'oldest' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('jsonl'), Type.Literal('csv')], { default: 'json' })),
});

const Checkpoint = Type.Object({
  treeSize: Type.Integer(),
  root: Type.String(),
  time: Type.String(),
  prev: Type.String(),
  keyId: Type.String(),
  body: Type.String({ description: 'the signed text' }),
  signature: Type.String({ description: 'Ed25519 signature of body, base64' }),
});

const Hold = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('agent'), Type.Literal('incident')]),
  target: Type.String(),
  agent: Type.String(),
  from: Type.Optional(Type.String()),
  to: Type.Optional(Type.String()),
  reason: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  releasedAt: Type.Optional(Type.String()),
  releasedBy: Type.Optional(Type.String()),
});

/**
 * The audit log over the admin API: query and export, summaries, checkpoints, proofs, a verify
 * run, and legal holds. Reading needs admin, security or auditor; holds need admin or security,
 * and every hold placed or released is in the admin action log.
 */
export function registerAuditRoutes(app: AdminApp, governance: Governance, audit: AuditService, sinks: () => Promise<readonly SinkStatus[]>): void {
  const context = governance.context;

  app.get('/audit/sinks', {
    schema: { summary: 'SIEM export sinks: cursor, lag, last error and last delivery of each', tags: ['audit'], response: { 200: Type.Object({ size: Type.Integer(), sinks: Type.Array(Type.Object({}, { additionalProperties: true })) }) } },
  }, async (request) => {
    await requireFleetReader(context, request.actor, 'audit');
    return { size: audit.log.size(), sinks: await sinks() };
  });

  app.get('/audit/events', {
    schema: {
      summary: 'Audit records matching filters, a page at a time (JSON), or all of them as JSONL or CSV',
      tags: ['audit'],
      querystring: AuditQuerystring,
      response: { 200: Type.Object({ records: Type.Array(Type.Object({}, { additionalProperties: true })), next: Type.Optional(Type.String()) }), 400: Problem },
    },
  }, async (request, reply) => {
    await requireFleetReader(context, request.actor, 'audit');
    const query = request.query;
    const filter = auditFilter(query);
    if (query.format === 'jsonl' || query.format === 'csv') {
      // An export streams every match; the page size does not apply.
      const matches = scanAudit(audit.log, filter);
      reply.header('cache-control', 'no-store');
      if (query.format === 'jsonl') {
        reply.type('application/x-ndjson');
        return reply.send(Readable.from((function* () {
          for (const match of matches) yield `${match.json}\n`;
        })()));
      }
      reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="audit.csv"');
      return reply.send(Readable.from(auditCsv(matches)));
    }
    const cursor = query.cursor === undefined ? undefined : checkedCursor(query.cursor);
    const page = queryAudit(audit.log, filter, { limit: query.limit ?? 100, ...(cursor !== undefined ? { cursor } : {}), newestFirst: query.order === 'newest' });
    return { records: page.records.map((match) => match.event), ...(page.next !== undefined ? { next: page.next } : {}) };
  });

  app.get('/audit/access-summary', {
    schema: {
      summary: 'Who accessed what: matching records grouped by agent and operation (e.g. dataClass=customer-pii for one day)',
      tags: ['audit'],
      querystring: Type.Omit(AuditQuerystring, ['limit', 'cursor', 'order', 'format']),
      response: { 200: Type.Object({ agents: Type.Array(Type.Object({}, { additionalProperties: true })) }), 400: Problem },
    },
  }, async (request) => {
    await requireFleetReader(context, request.actor, 'audit');
    return { agents: summarizeAccess(scanAudit(audit.log, auditFilter(request.query))) };
  });

  app.get('/audit/checkpoints', {
    schema: {
      summary: 'Signed checkpoints, oldest first, and the public key that signs them',
      tags: ['audit'],
      response: { 200: Type.Object({ publicKey: Type.String(), keyId: Type.String(), size: Type.Integer(), checkpoints: Type.Array(Checkpoint) }) },
    },
  }, async (request) => {
    await requireFleetReader(context, request.actor, 'audit');
    return { publicKey: audit.signer?.publicKeyPem() ?? '', keyId: audit.signer?.keyId ?? '', size: audit.log.size(), checkpoints: audit.checkpoints.list() };
  });

  app.get('/audit/proofs/inclusion', {
    schema: {
      summary: 'Inclusion proof of one record in a signed checkpoint (RFC 9162 §2.1.3)',
      tags: ['audit'],
      querystring: Type.Object({ seq: Type.Integer({ minimum: 1 }), treeSize: Type.Optional(Type.Integer({ minimum: 1 })) }),
      response: { 200: Type.Object({}, { additionalProperties: true }), 404: Problem },
    },
  }, async (request) => {
    await requireFleetReader(context, request.actor, 'audit');
    return proof(() => inclusionProof(audit.log, audit.checkpoints, request.query.seq, request.query.treeSize));
  });

  app.get('/audit/proofs/consistency', {
    schema: {
      summary: 'Consistency proof between two signed checkpoints (RFC 9162 §2.1.4)',
      tags: ['audit'],
      querystring: Type.Object({ oldSize: Type.Integer({ minimum: 1 }), newSize: Type.Optional(Type.Integer({ minimum: 1 })) }),
      response: { 200: Type.Object({}, { additionalProperties: true }), 404: Problem },
    },
  }, async (request) => {
    await requireFleetReader(context, request.actor, 'audit');
    return proof(() => consistencyProof(audit.log, audit.checkpoints, request.query.oldSize, request.query.newSize));
  });

  app.post('/audit/verify', {
    schema: {
      summary: 'Recompute the log (or a range of it) against its hashes and signed checkpoints',
      tags: ['audit'],
      body: Type.Object({ from: Type.Optional(Type.Integer({ minimum: 1 })), to: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({}, { additionalProperties: true }) },
    },
  }, async (request) => {
    await requireFleetReader(context, request.actor, 'audit');
    return audit.verify({ ...(request.body.from !== undefined ? { from: request.body.from } : {}), ...(request.body.to !== undefined ? { to: request.body.to } : {}) });
  });

  app.get('/audit/holds', {
    schema: { summary: 'Legal holds (active ones unless all=true)', tags: ['audit'], querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }), response: { 200: Type.Object({ holds: Type.Array(Hold) }) } },
  }, async (request) => {
    await requireFleetReader(context, request.actor, 'audit');
    return { holds: audit.holds.list({ all: request.query.all === true }) };
  });

  app.post('/audit/holds', {
    schema: {
      summary: 'Place a legal hold: the records it covers are kept whatever the retention',
      tags: ['audit'],
      body: Type.Object({
        agent: Type.String({ minLength: 1, maxLength: 200, description: 'the agent whose records are held' }),
        incident: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'hold for an incident: its id; then from/to bound the window' })),
        from: Type.Optional(Type.String({ format: 'date-time' })),
        to: Type.Optional(Type.String({ format: 'date-time' })),
        reason: Type.String({ minLength: 1, maxLength: 1000, description: 'the matter, case or ticket the hold is for' }),
      }, { additionalProperties: false }),
      response: { 201: Hold, 400: Problem, 403: Problem },
    },
  }, async (request, reply) => {
    const { agent, incident, from, to, reason } = request.body;
    const target = incident === undefined ? `audit-hold/agent/${agent}` : `audit-hold/incident/${incident}`;
    await authorize(context, request.actor, 'audit.hold', target, hasRole(request.actor, 'admin', 'security'), 'admin or security');
    let hold;
    try {
      hold = audit.holds.place({ kind: incident === undefined ? 'agent' : 'incident', target: incident ?? agent, agent, ...(from !== undefined ? { from: new Date(from) } : {}), ...(to !== undefined ? { to: new Date(to) } : {}), reason, by: request.actor.subject }, context.now());
    } catch (error) {
      if (error instanceof RangeError) throw new GovernanceError('WARDEN_ADMIN_INVALID', error.message);
      throw error;
    }
    await context.log.changed(request.actor, 'audit.hold', `audit-hold/${hold.id}`, { after: hold, detail: reason });
    reply.code(201);
    return hold;
  });

  app.post('/audit/holds/:id/release', {
    schema: {
      summary: 'Release a legal hold; its records follow retention again',
      tags: ['audit'],
      params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
      response: { 200: Hold, 403: Problem, 404: Problem },
    },
  }, async (request) => {
    const id = request.params.id;
    await authorize(context, request.actor, 'audit.release', `audit-hold/${id}`, hasRole(request.actor, 'admin', 'security'), 'admin or security');
    const before = audit.holds.get(id);
    if (before === undefined || !audit.holds.release(id, request.actor.subject, context.now())) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', `no active legal hold ${id}; list them with GET /audit/holds`);
    const after = audit.holds.get(id)!;
    await context.log.changed(request.actor, 'audit.release', `audit-hold/${id}`, { before, after, detail: request.body.reason });
    return after;
  });
}

/** The query's filters as an AuditFilter (the schema has checked their form). */
export function auditFilter(query: { from?: string; to?: string; agent?: string; api?: string; operation?: string; dataClass?: string; decision?: AuditFilter['decision']; status?: string; srcIp?: string; country?: string; text?: string }): AuditFilter {
  const { from, to, ...rest } = query;
  const filter: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) filter[key] = value;
  if (from !== undefined) filter.from = new Date(from);
  if (to !== undefined) filter.to = new Date(to);
  return filter as AuditFilter;
}

function checkedCursor(cursor: string): string {
  try {
    parseCursor(cursor);
  } catch (error) {
    throw new GovernanceError('WARDEN_ADMIN_INVALID', (error as Error).message);
  }
  return cursor;
}

function proof<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof ProofUnavailableError || error instanceof AuditGapError) throw new GovernanceError('WARDEN_ADMIN_NOT_FOUND', error.message);
    throw error;
  }
}
