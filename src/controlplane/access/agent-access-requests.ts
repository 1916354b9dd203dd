import type { ErrorCode } from '../../model/errors.js';
import { GovernanceError } from '../governance/governance-error.js';
import type { AccessRequestView, AccessService } from './access-service.js';

type Answer = { readonly ok: true; readonly status: number; readonly body: unknown } | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

/**
 * Agents' own access requests as the gateway hands them up (the data plane's AccessRequestSink):
 * the agent is who the gateway identified, the body is checked here, refusals come back as
 * registry codes the gateway answers with.
 */
export function agentAccessRequests(access: AccessService): { submit(agent: string, body: unknown): Promise<Answer>; get(agent: string, id: string): Promise<Answer> } {
  return {
    async submit(agent, body) {
      const ask = parseAsk(body);
      if (typeof ask === 'string') return { ok: false, code: 'WARDEN_ACCESS_REQUEST_INVALID', detail: ask };
      return answer(async () => forAgent(await access.submitForAgent(agent, ask)), 201);
    },
    get(agent, id) {
      return answer(async () => forAgent(await access.get(id, agent)), 200);
    },
  };
}

/** What an agent is told of its request: its status and outcome, not who decided or how its risk was weighed. */
function forAgent(view: AccessRequestView) {
  return {
    id: view.id,
    agent: view.agent,
    api: view.api,
    operation: view.operation,
    reason: view.reason,
    durationDays: view.durationDays,
    status: view.status,
    requestedAt: view.requestedAt,
    decidedAt: view.decidedAt,
    decisionReason: view.decisionReason,
    grantExpiresAt: view.grantExpiresAt,
    risk: { level: view.risk.level, score: view.risk.score },
  };
}

async function answer(call: () => Promise<unknown>, status: number): Promise<Answer> {
  try {
    return { ok: true, status, body: await call() };
  } catch (error) {
    if (!(error instanceof GovernanceError)) throw error;
    // An agent is told what is wrong with its request, never about admin roles or internals.
    const code = error.code === 'WARDEN_ADMIN_NOT_FOUND' ? 'WARDEN_ROUTE_NOT_FOUND' : error.code.startsWith('WARDEN_ADMIN_') ? 'WARDEN_ACCESS_REQUEST_INVALID' : error.code;
    return { ok: false, code, detail: error.message };
  }
}

const FIELDS = new Set(['api', 'operation', 'reason', 'durationDays']);

function parseAsk(body: unknown): { api: string; operation: string; reason: string; durationDays?: number } | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'send a JSON object: {"api": …, "operation": …, "reason": …, "durationDays"?: …}';
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) return `unknown field(s) ${unknown.slice(0, 5).join(', ')}: an access request has api, operation, reason and durationDays (the agent is the caller)`;
  const { api, operation, reason, durationDays } = fields;
  if (typeof api !== 'string' || typeof operation !== 'string' || api.length > 128 || operation.length > 128) return 'api and operation must name a declared operation, e.g. {"api": "crm", "operation": "listOrders"}';
  if (typeof reason !== 'string') return 'reason must say, in a sentence, why the task needs it';
  if (durationDays !== undefined && typeof durationDays !== 'number') return 'durationDays must be a number of days';
  return { api, operation, reason, ...(durationDays !== undefined ? { durationDays: durationDays as number } : {}) };
}
