import { Type } from '@sinclair/typebox';
import type { AuditService } from '../../audit/audit-service.js';
import type { Governance } from '../../governance/governance.js';
import { createReportContext, renderReport, REPORT_FORMATS, REPORT_NAMES, resolvePeriod, runReport, type ReportFormat } from '../../reports/index.js';
import type { AdminApp } from '../admin-server.js';
import { requireFleetReader } from '../read-scope.js';

const Problem = Type.Ref('Problem');

/** Compliance reports over the admin API (docs/reports.md): the same reports as `warden report`. */
export function registerReportRoutes(app: AdminApp, governance: Governance, audit: AuditService): void {
  const context = governance.context;
  app.get('/reports/:name', {
    schema: {
      summary: 'A compliance report for a period, as JSON, CSV, HTML (a printable page) or text',
      tags: ['reports'],
      params: Type.Object({ name: Type.String({ maxLength: 60, description: REPORT_NAMES.join(', ') }) }),
      querystring: Type.Object({
        from: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date or time (default: 30 days ago)' })),
        to: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date (its end) or time (default: now)' })),
        format: Type.Optional(Type.Union(REPORT_FORMATS.map((format) => Type.Literal(format)), { default: 'json' })),
      }),
      response: { 200: Type.Any(), 400: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    await requireFleetReader(context, request.actor, 'reports');
    const now = context.now();
    const report = await createReportContext(context.store, {
      now,
      audit: audit.log,
      ...(context.publisher.current !== undefined ? { snapshot: context.publisher.current.snapshot } : {}),
      reviewItems: () => governance.reviews.review(),
      governanceSettings: context.settings,
    });
    const output = await runReport((request.params as { name: string }).name, report, resolvePeriod({ ...(request.query.from !== undefined ? { from: request.query.from } : {}), ...(request.query.to !== undefined ? { to: request.query.to } : {}) }, now));
    const rendered = renderReport(output, (request.query.format ?? 'json') as ReportFormat);
    return reply.type(rendered.contentType).header('cache-control', 'no-store').send(rendered.body);
  });
}
