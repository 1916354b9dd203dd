/**
 * The admin API's answers as they arrive (JSON: times are ISO text) and how the governance
 * commands print them for people. `--json` prints the answers themselves.
 */

export interface RiskJson {
  readonly score: number;
  readonly level: string;
  readonly reasons: readonly { readonly code: string; readonly weight: number; readonly message: string }[];
  readonly operations: number;
  readonly writeOperations: number;
  readonly dataClasses: readonly string[];
  readonly apis: readonly string[];
}

export interface AgentJson {
  readonly name: string;
  readonly source: string;
  readonly owner: string;
  readonly purpose: string;
  readonly roles: readonly string[];
  readonly state: string;
  readonly stateSince?: string;
  readonly template?: string;
  readonly credentials: {
    readonly apiKeys: readonly string[];
    readonly jwt: readonly { readonly issuer: string; readonly subject: string }[];
    readonly certificates: readonly string[];
  };
  readonly runtimeRules: readonly { readonly id: string; readonly kind: string; readonly api: string; readonly operations: readonly string[]; readonly expiresAt?: string }[];
  readonly actions: readonly string[];
}

export interface TransitionJson {
  readonly id: number;
  readonly from?: string;
  readonly to: string;
  readonly action: string;
  readonly actor: string;
  readonly reason: string;
  readonly at: string;
}

export interface AgentDetailJson extends AgentJson {
  readonly history: readonly TransitionJson[];
  readonly risk: RiskJson;
}

export interface LifecycleResultJson {
  readonly agent: AgentJson;
  readonly from: string;
  readonly propagationMs: number;
}

export interface BindingJson {
  readonly id: string;
  readonly agent: string;
  readonly binding: { readonly type: 'jwt'; readonly issuer: string; readonly subject: string } | { readonly type: 'mtls'; readonly fingerprint?: string; readonly spiffeId?: string };
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface KeyJson {
  readonly id: string;
  readonly agent?: string;
  readonly status: string;
  readonly createdAt: string;
  readonly createdBy?: string;
  readonly expiresAt: string;
  readonly revokedAt?: string;
  readonly lastUsedAt?: string;
  readonly replacedBy?: string;
}

export interface NewKeyJson {
  readonly key: string;
  readonly record: KeyJson;
}

export interface AccessRequestJson {
  readonly id: string;
  readonly agent: string;
  readonly api: string;
  readonly operation: string;
  readonly reason: string;
  readonly durationDays?: number;
  readonly status: string;
  readonly requestedAt: string;
  readonly requestedBy: string;
  readonly decidedAt?: string;
  readonly decidedBy?: string;
  readonly decisionReason?: string;
  readonly grantExpiresAt?: string;
  readonly risk: RiskJson;
}

export interface ApprovalJson {
  readonly id: string;
  readonly agent: string;
  readonly owner?: string;
  readonly api: string;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly context?: Readonly<Record<string, string>>;
  readonly fingerprint: string;
  readonly requestId: string;
  readonly status: string;
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly decidedAt?: string;
  readonly decidedBy?: string;
  readonly decidedVia?: string;
  readonly reason?: string;
  readonly usedAt?: string;
  readonly usedRequestId?: string;
}

export interface ReviewJson {
  readonly agent: string;
  readonly owner: string;
  readonly state: string;
  readonly items: readonly { readonly item: string; readonly kind: string; readonly detail: string; readonly revoke: string }[];
}

export interface TokenJson {
  readonly id: string;
  readonly subject: string;
  readonly roles: readonly string[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string;
  readonly revokedAt?: string;
  readonly lastUsedAt?: string;
}

export interface OwnerJson {
  readonly email: string;
  readonly active: boolean;
  readonly leftAt?: string;
  readonly updatedBy: string;
}

export interface AdminEventJson {
  readonly seq: number;
  readonly time: string;
  readonly actor: string;
  readonly roles: readonly string[];
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
  readonly detail?: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface DifferenceJson {
  readonly agent: string;
  readonly kind: string;
  readonly manifest?: string;
  readonly runtime: string;
}

/** Columns padded to their widest cell; the last column is left ragged. */
export function table(headers: readonly string[], rows: readonly (readonly (string | undefined)[])[]): string[] {
  const cells = [headers, ...rows].map((row) => headers.map((_, index) => row[index] ?? '-'));
  const widths = headers.map((_, index) => Math.max(...cells.map((row) => row[index]!.length)));
  return cells.map((row) => row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ').trimEnd());
}

/** `2026-03-15 09:30Z` from ISO text: minutes are enough in a table. */
export function when(iso: string | undefined): string {
  if (iso === undefined) return '-';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match === null ? iso : `${match[1]} ${match[2]}Z`;
}

export function list(values: readonly string[] | undefined): string {
  return values === undefined || values.length === 0 ? '-' : values.join(', ');
}

export function riskSummary(risk: RiskJson): string {
  return `${risk.score} (${risk.level})`;
}

/** The risk score with what it is made of, one reason per line. */
export function riskLines(risk: RiskJson, indent = '  '): string[] {
  const facts = [`${risk.operations} operation(s), ${risk.writeOperations} write`, ...(risk.apis.length > 0 ? [`APIs ${risk.apis.join(', ')}`] : []), ...(risk.dataClasses.length > 0 ? [`data classes ${risk.dataClasses.join(', ')}`] : [])];
  return [
    `${indent}risk ${riskSummary(risk)}: ${facts.join('; ')}`,
    ...risk.reasons.map((reason) => `${indent}  - ${reason.message} (+${reason.weight}, ${reason.code})`),
  ];
}

/** How a secret is printed: on its own line, once, with the warning that it is not shown again. */
export function secretLines(label: string, secret: string, handOver: string): string[] {
  return [
    `${label}: ${secret}`,
    `this ${label} is shown only now: Warden keeps only its digest and cannot show it again; ${handOver}`,
  ];
}

/** `label  value` pairs aligned on the labels. */
export function fields(pairs: readonly (readonly [string, string])[], indent = '  '): string[] {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`);
}

/** One agent as a table row of `warden agents list`. */
export function agentRow(agent: AgentJson): string[] {
  const credentials = agent.credentials.apiKeys.length + agent.credentials.jwt.length + agent.credentials.certificates.length;
  return [agent.name, agent.state, agent.owner, list(agent.roles), agent.source, String(credentials)];
}

export const AGENT_HEADERS = ['NAME', 'STATE', 'OWNER', 'ROLES', 'SOURCE', 'CREDENTIALS'] as const;

/** The actions that apply next, for hints after a change. */
export function nextActions(agent: AgentJson): string {
  return agent.actions.length === 0 ? `${agent.name} is ${agent.state}: no action applies any more` : `next actions for ${agent.name} (${agent.state}): ${agent.actions.join(', ')}`;
}

/** A runtime binding as one line. */
export function bindingIdentity(binding: BindingJson['binding']): string {
  if (binding.type === 'jwt') return `JWT issuer ${binding.issuer} subject ${binding.subject}`;
  return binding.spiffeId !== undefined ? `certificate SPIFFE id ${binding.spiffeId}` : `certificate ${binding.fingerprint ?? '?'}`;
}
