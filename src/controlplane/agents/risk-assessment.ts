import { formatRuleRef } from '../../policy/decision.js';
import type { CompiledAgent, CompiledOperation, RoleTable, Snapshot } from '../../policy/snapshot.js';
import type { UsageRecord } from '../store/governance-store.js';

/** What to assess: a proposed agent (its roles), or an existing one asking for more (`extra`). */
export interface RiskInput {
  /** The effective compiled policy. */
  readonly snapshot: Snapshot;
  /** Roles the agent has or asks for (names in `snapshot.roles`). */
  readonly roles: readonly string[];
  /** The agent's stated purpose, free text. */
  readonly purpose: string;
  /** The agent's own name, excluded from its peers. */
  readonly agent?: string;
  /**
   * Operations asked for on top of the roles (an access request). `stepUp` is whether the grant
   * asked for would require a human's approval; like a manifest grant, it defaults to false.
   */
  readonly extra?: readonly { readonly api: string; readonly operation: string; readonly stepUp?: boolean }[];
  /** What every agent called (the usage table). */
  readonly usage: readonly UsageRecord[];
  readonly now: Date;
  /** Usage newer than this many days counts for peers; default 30. */
  readonly peerWindowDays?: number;
}

/** One finding; `code` is stable, `message` is for the human in the review queue. */
export interface RiskReason {
  readonly code: string;
  readonly weight: number;
  readonly message: string;
}

/** A proposal's or access request's risk. JSON-safe: stored with access requests as is. */
export interface RiskAssessment {
  /** 0..100, the sum of the reasons' weights capped at 100. */
  readonly score: number;
  /** `low` below 30, `medium` below 60, `high` from 60 (see RISK_LEVELS). */
  readonly level: 'low' | 'medium' | 'high';
  /** Most weighty first. */
  readonly reasons: readonly RiskReason[];
  /** Operations the roles (and `extra`) let the agent call. */
  readonly operations: number;
  readonly writeOperations: number;
  /** Sorted, distinct. */
  readonly dataClasses: readonly string[];
  /** Sorted, distinct. */
  readonly apis: readonly string[];
}

/** Stable reason codes. */
export const RISK_CODES = [
  'excess',
  'no-baseline',
  'write-access',
  'restricted-data',
  'payments-without-step-up',
  'purpose-mismatch',
  'broad-wildcard',
  'unused-by-peers',
  'forbidden-by-role',
  'unknown-role',
  'unknown-operation',
] as const;
export type RiskCode = (typeof RISK_CODES)[number];

/**
 * Level thresholds. A reviewer should be able to wave a `low` through: a read-only agent on
 * internal data, or one with a couple of writes. `medium` is an ordinary agent that touches
 * sensitive data or moves money within limits — read the reasons. `high` needs two strong
 * findings together (say, far more operations than its peers and payments without step-up):
 * look closely before approving.
 */
export const RISK_LEVELS = { medium: 30, high: 60 } as const;

/**
 * Weights. Each finding has a base weight and grows a little with how much of it there is,
 * up to a cap, so one kind of finding can never make a proposal high on its own volume:
 *
 * - excess 20/25/30/35 at 2×/4×/8×/16× the peers' median: the clearest sign of over-asking,
 *   measured against what agents of the same role really use.
 * - payments-without-step-up 15, +5 per further operation, cap 30: money can move (or
 *   financial records change) with no human in the loop.
 * - restricted-data 8, +4 per further restricted API or sensitive data class, cap 20.
 * - write-access 5, +2 per further write, cap 15: most agents write something, so writes alone
 *   weigh little; what they write is weighed by the two reasons above.
 * - forbidden-by-role 10: an access request for what the agent's own role forbids says the
 *   role, the purpose or the request is wrong (the grant would not even take effect).
 * - purpose-mismatch 4 per API the purpose never mentions, cap 12: a text heuristic, so it
 *   only nudges the score.
 * - unused-by-peers 5 per requested operation no peer calls, cap 10.
 * - broad-wildcard 5 per API granted whole, cap 10.
 * - no-baseline, unknown-role, unknown-operation 0: facts the reviewer should see, no risk.
 */
const WEIGHTS = {
  excess: [20, 25, 30, 35],
  paymentsBase: 15,
  paymentsEach: 5,
  paymentsCap: 30,
  restrictedBase: 8,
  restrictedEach: 4,
  restrictedCap: 20,
  writeBase: 5,
  writeEach: 2,
  writeCap: 15,
  forbiddenByRole: 10,
  purposeEach: 4,
  purposeCap: 12,
  unusedEach: 5,
  unusedCap: 10,
  wildcardEach: 5,
  wildcardCap: 10,
} as const;

/** Data classes a reviewer must look at twice. */
export const SENSITIVE_DATA_CLASSES: readonly string[] = ['credentials', 'financial', 'health', 'hr', 'payroll', 'pii'];
/** Data classes that mark an operation as being about money. */
const MONEY_DATA_CLASSES: ReadonlySet<string> = new Set(['financial', 'payments']);
/** An API granted whole is only notable when it has this many operations. */
const WILDCARD_MIN_OPERATIONS = 3;
/** Operations named in a message before "and N more". */
const NAMED = 3;
const DAY_MS = 86_400_000;

/** What the agent may call, one entry per operation. */
interface Access {
  readonly operation: CompiledOperation;
  /** Asked for in `extra` (and not already granted by the roles). */
  readonly requested: boolean;
  /** Grants (`role/grants/id`) that allow it without step-up; for a requested one, `requested`. */
  readonly withoutStepUp: readonly string[];
  /** Some grant that allows it has conditions (parameters, time, region). */
  readonly conditioned: boolean;
}

/**
 * Assesses the risk of letting an agent with `roles` (and `extra` operations) call APIs: how
 * much it asks for next to its peers, what it may write, which sensitive data it reaches, money
 * moved without step-up, and APIs its purpose does not explain. Pure and deterministic.
 */
export function assessRisk(input: RiskInput): RiskAssessment {
  const days = input.peerWindowDays ?? 30;
  if (!Number.isFinite(days) || days < 0) throw new RangeError(`peerWindowDays must be a non-negative number, not ${days}`);
  const { snapshot } = input;
  const reasons: RiskReason[] = [];
  const roleNames = [...new Set(input.roles)].sort(compareText);
  const tables: RoleTable[] = [];
  for (const name of roleNames) {
    const table = snapshot.roles.get(name);
    if (table) tables.push(table);
    else reasons.push({ code: 'unknown-role', weight: 0, message: `role ${name} is not defined in the policy in force, so it grants nothing` });
  }

  const access = accessOf(input, tables, reasons);
  const operations = [...access.values()].sort(byRequestedThenIndex);
  const writes = operations.filter((entry) => entry.operation.effect === 'write');
  const apis = distinct(operations.map((entry) => entry.operation.api.name));
  const dataClasses = distinct(operations.flatMap((entry) => entry.operation.dataClasses));

  const peers = peerUsage(input, roleNames, days);
  reasons.push(...comparisonWithPeers(operations, peers, roleNames, days));
  if (writes.length > 0) reasons.push(writeAccess(writes));
  const sensitive = restrictedData(operations);
  if (sensitive) reasons.push(sensitive);
  const payments = paymentsWithoutStepUp(writes);
  if (payments) reasons.push(payments);
  const mismatch = purposeMismatch(input.purpose, operations);
  if (mismatch) reasons.push(mismatch);
  const wildcard = wholeApis(snapshot, operations);
  if (wildcard) reasons.push(wildcard);

  reasons.sort((a, b) => b.weight - a.weight || compareText(a.code, b.code) || compareText(a.message, b.message));
  const score = Math.min(100, reasons.reduce((sum, reason) => sum + reason.weight, 0));
  return {
    score,
    level: riskLevel(score),
    reasons,
    operations: operations.length,
    writeOperations: writes.length,
    dataClasses,
    apis,
  };
}

/** The level of a score: `low` below 30, `medium` below 60, `high` from 60. */
export function riskLevel(score: number): RiskAssessment['level'] {
  return score >= RISK_LEVELS.high ? 'high' : score >= RISK_LEVELS.medium ? 'medium' : 'low';
}

/** Every role's grants, minus operations any role forbids unconditionally (forbids win), plus `extra`. */
function accessOf(input: RiskInput, tables: readonly RoleTable[], reasons: RiskReason[]): Map<number, Access> {
  const { snapshot } = input;
  const forbidden = new Map<number, string[]>();
  for (const table of tables) {
    for (const [index, forbids] of table.forbids) {
      for (const forbid of forbids) {
        if (forbid.conditions.length > 0) continue;
        const list = forbidden.get(index) ?? [];
        list.push(`${formatRuleRef(forbid.ref)}${forbid.reason ? `: ${forbid.reason}` : ''}`);
        forbidden.set(index, list);
      }
    }
  }
  const access = new Map<number, Access>();
  for (const table of tables) {
    for (const [index, grants] of table.grants) {
      if (forbidden.has(index)) continue;
      const operation = snapshot.operations[index]!;
      const previous = access.get(index);
      const withoutStepUp = grants.filter((grant) => grant.allow.obligations?.stepUp !== true).map((grant) => formatRuleRef(grant.ref));
      access.set(index, {
        operation,
        requested: false,
        withoutStepUp: [...(previous?.withoutStepUp ?? []), ...withoutStepUp],
        conditioned: (previous?.conditioned ?? false) || grants.some((grant) => grant.conditions.length > 0),
      });
    }
  }

  if (input.extra && input.extra.length > 0) {
    const byName = new Map(snapshot.operations.map((operation) => [`${operation.api.name}.${operation.id}`, operation]));
    const unknown: string[] = [];
    const conflicts: string[] = [];
    for (const request of input.extra) {
      const name = `${request.api}.${request.operation}`;
      const operation = byName.get(name);
      if (!operation) {
        unknown.push(name);
        continue;
      }
      const forbids = forbidden.get(operation.index);
      if (forbids) conflicts.push(`${name} (forbidden by ${forbids.join(' and ')})`);
      const previous = access.get(operation.index);
      if (previous && !forbids) {
        // Already allowed by the roles: the request changes nothing but may drop a step-up.
        if (request.stepUp !== true && !previous.withoutStepUp.includes('the access request')) {
          access.set(operation.index, { ...previous, withoutStepUp: [...previous.withoutStepUp, 'the access request'] });
        }
        continue;
      }
      access.set(operation.index, {
        operation,
        requested: true,
        withoutStepUp: request.stepUp === true ? [] : ['the access request'],
        conditioned: false,
      });
    }
    const unknownNames = distinct(unknown);
    if (unknownNames.length > 0) {
      reasons.push({ code: 'unknown-operation', weight: 0, message: `asks for ${list(unknownNames)}, which the policy in force does not declare` });
    }
    const conflictNames = distinct(conflicts);
    if (conflictNames.length > 0) {
      reasons.push({
        code: 'forbidden-by-role',
        weight: WEIGHTS.forbiddenByRole,
        message: `asks for what its roles forbid: ${conflictNames.join('; ')}; a grant cannot override a forbid, so check the role or the purpose`,
      });
    }
  }
  return access;
}

interface Peers {
  /** Other agents sharing a role. */
  readonly count: number;
  /** Distinct operations each peer called in the window, for peers that called anything. */
  readonly used: readonly number[];
  /** `api.operation` any peer called in the window. */
  readonly operations: ReadonlySet<string>;
}

/**
 * Peers are the other agents in the snapshot that share a role; their usage counts when it is
 * within the window. A peer that called nothing in the window is left out rather than counted as
 * zero: an idle agent says nothing about what the role needs, and zeros would flag every request.
 */
function peerUsage(input: RiskInput, roleNames: readonly string[], days: number): Peers {
  const wanted = new Set(roleNames);
  const peers = new Set<string>();
  for (const agent of input.snapshot.agents.values()) {
    if (agent.name !== input.agent && sharesRole(agent, wanted)) peers.add(agent.name);
  }
  const since = input.now.getTime() - days * DAY_MS;
  const byPeer = new Map<string, Set<string>>();
  const operations = new Set<string>();
  for (const record of input.usage) {
    if (!peers.has(record.agent) || record.calls <= 0 || record.lastUsedAt.getTime() < since) continue;
    const key = `${record.api}.${record.operation}`;
    let set = byPeer.get(record.agent);
    if (!set) byPeer.set(record.agent, (set = new Set()));
    set.add(key);
    operations.add(key);
  }
  return { count: peers.size, used: [...byPeer.values()].map((set) => set.size), operations };
}

function sharesRole(agent: CompiledAgent, roles: ReadonlySet<string>): boolean {
  return agent.roles.some((role) => roles.has(role));
}

/** `excess` (or `no-baseline`), and `unused-by-peers` for requested operations. */
function comparisonWithPeers(operations: readonly Access[], peers: Peers, roleNames: readonly string[], days: number): RiskReason[] {
  const who = roleNames.length === 1 ? `role ${roleNames[0]}` : `roles ${orList(roleNames)}`;
  const asked = plural(operations.length, 'operation');
  if (peers.count === 0 || peers.used.length === 0) {
    const why = peers.count === 0 ? `no other agent has ${who}` : `no other agent with ${who} called anything in the last ${plural(days, 'day')}`;
    return [{ code: 'no-baseline', weight: 0, message: `${why}: nothing to compare its ${asked} with` }];
  }
  const reasons: RiskReason[] = [];
  const median = medianOf(peers.used);
  const count = operations.length;
  // Clearly more: over twice the median and at least five more, so 3 against a median of 1 is not "excess".
  if (count > 2 * median && count - median >= 5) {
    const ratio = count / median;
    const step = ratio >= 16 ? 3 : ratio >= 8 ? 2 : ratio >= 4 ? 1 : 0;
    reasons.push({
      code: 'excess',
      weight: WEIGHTS.excess[step]!,
      message: `asks for ${asked}; agents with ${who} use ${formatNumber(median)} (median of ${plural(peers.used.length, 'agent')}, last ${plural(days, 'day')})`,
    });
  }
  const unused = operations.filter((entry) => entry.requested && !peers.operations.has(nameOf(entry.operation))).map((entry) => nameOf(entry.operation));
  if (unused.length > 0) {
    reasons.push({
      code: 'unused-by-peers',
      weight: Math.min(WEIGHTS.unusedCap, WEIGHTS.unusedEach * unused.length),
      message: `no other agent with ${who} called ${list(unused)} in the last ${plural(days, 'day')}`,
    });
  }
  return reasons;
}

function writeAccess(writes: readonly Access[]): RiskReason {
  const gated = writes.filter((entry) => entry.withoutStepUp.length === 0).length;
  const behind = gated > 0 ? ` (${gated} only with step-up)` : '';
  return {
    code: 'write-access',
    weight: grow(writes.length, WEIGHTS.writeBase, WEIGHTS.writeEach, WEIGHTS.writeCap),
    message: `may change data through ${plural(writes.length, 'write operation')}${behind}: ${named(writes)}`,
  };
}

/** Operations of `restricted` APIs, or with a sensitive data class. */
function restrictedData(operations: readonly Access[]): RiskReason | undefined {
  const sensitive = new Set(SENSITIVE_DATA_CLASSES);
  const hits = operations.filter((entry) => entry.operation.api.sensitivity === 'restricted' || entry.operation.dataClasses.some((name) => sensitive.has(name)));
  if (hits.length === 0) return undefined;
  const restrictedApis = distinct(hits.filter((entry) => entry.operation.api.sensitivity === 'restricted').map((entry) => entry.operation.api.name));
  const classes = distinct(hits.flatMap((entry) => entry.operation.dataClasses.filter((name) => sensitive.has(name))));
  const parts: string[] = [];
  if (restrictedApis.length > 0) parts.push(`restricted ${restrictedApis.length === 1 ? 'API' : 'APIs'} ${list(restrictedApis)}`);
  if (classes.length > 0) parts.push(`data ${classes.length === 1 ? 'class' : 'classes'} ${list(classes)}`);
  return {
    code: 'restricted-data',
    weight: grow(restrictedApis.length + classes.length, WEIGHTS.restrictedBase, WEIGHTS.restrictedEach, WEIGHTS.restrictedCap),
    message: `reaches ${parts.join(' and ')} through ${plural(hits.length, 'operation')}`,
  };
}

/** Writes about money (a payment API, or financial/payments data) that some grant allows without step-up. */
function paymentsWithoutStepUp(writes: readonly Access[]): RiskReason | undefined {
  const hits = writes.filter((entry) => entry.withoutStepUp.length > 0 && aboutMoney(entry.operation));
  if (hits.length === 0) return undefined;
  const shown = hits.slice(0, NAMED).map((entry) => {
    const limits = entry.conditioned ? ', limited by conditions' : '';
    return `${nameOf(entry.operation)} (${entry.requested ? 'requested' : `by ${entry.withoutStepUp.join(', ')}`}${limits})`;
  });
  const more = hits.length > NAMED ? ` and ${hits.length - NAMED} more` : '';
  return {
    code: 'payments-without-step-up',
    weight: grow(hits.length, WEIGHTS.paymentsBase, WEIGHTS.paymentsEach, WEIGHTS.paymentsCap),
    message: `may move money or change financial records with no human approval (no step-up): ${shown.join(', ')}${more}`,
  };
}

function aboutMoney(operation: CompiledOperation): boolean {
  return operation.api.name.includes('payment') || operation.dataClasses.some((name) => MONEY_DATA_CLASSES.has(name));
}

/**
 * APIs whose vocabulary — name, data classes, the summaries and ids of the operations it would
 * call — shares no word with the purpose. Words are compared loosely (plural `s`, common stems
 * such as finance/financial), and generic words (read, create, record…) never count.
 */
function purposeMismatch(purpose: string, operations: readonly Access[]): RiskReason | undefined {
  // Two letters count in the purpose (HR, IT), so a short API name can match it.
  const said = words(purpose, 2);
  const byApi = new Map<string, CompiledOperation[]>();
  for (const entry of operations) {
    const list = byApi.get(entry.operation.api.name) ?? [];
    list.push(entry.operation);
    byApi.set(entry.operation.api.name, list);
  }
  const unexplained: string[] = [];
  for (const api of [...byApi.keys()].sort(compareText)) {
    const reached = byApi.get(api)!;
    if (!apiVocabulary(api, reached).some((word) => said.some((other) => similar(word, other)))) unexplained.push(api);
  }
  if (unexplained.length === 0) return undefined;
  return {
    code: 'purpose-mismatch',
    weight: Math.min(WEIGHTS.purposeCap, WEIGHTS.purposeEach * unexplained.length),
    message: `the stated purpose does not mention ${list(unexplained)} or what ${unexplained.length === 1 ? 'it is' : 'they are'} for: ask why the agent needs ${unexplained.length === 1 ? 'it' : 'them'}`,
  };
}

function apiVocabulary(api: string, operations: readonly CompiledOperation[]): string[] {
  const parts = api.split('-');
  // The whole name counts however short (hr, crm); its parts only from three letters (not "it" of it-ops).
  const vocabulary = [parts.join(''), ...parts.filter((part) => part.length >= 3)];
  for (const operation of operations) {
    vocabulary.push(...operation.dataClasses, ...words(operation.id, 3), ...words(operation.summary ?? '', 3));
  }
  return [...new Set(vocabulary.map(stem))];
}

const STOP_WORDS: ReadonlySet<string> = new Set(
  ('a an and any are as at be by can each every for from get has have in into is it its list new of on one or own per put read ' +
    'set that the their them this those to via was with all add change create delete do does done find fetch make many may more ' +
    'patch post remove search update record records data item items info detail details status summary api service services ' +
    'use uses using request requests will when which who after before other some').split(' '),
);

function words(text: string, shortest: number): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length >= shortest && !STOP_WORDS.has(word))
    .map(stem);
}

function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** Equal, or a shared stem of five letters or more that leaves at most two letters of the shorter word. */
function similar(a: string, b: string): boolean {
  if (a === b) return true;
  const shorter = Math.min(a.length, b.length);
  let common = 0;
  while (common < shorter && a[common] === b[common]) common++;
  return common >= 5 && common >= shorter - 2;
}

/**
 * APIs whose every operation the agent may call. The snapshot keeps no selectors, so this is
 * what a `*` grant looks like after compiling (and what listing every id amounts to).
 */
function wholeApis(snapshot: Snapshot, operations: readonly Access[]): RiskReason | undefined {
  const reached = new Map<string, number>();
  for (const entry of operations) reached.set(entry.operation.api.name, (reached.get(entry.operation.api.name) ?? 0) + 1);
  const declared = new Map<string, number>();
  for (const operation of snapshot.operations) declared.set(operation.api.name, (declared.get(operation.api.name) ?? 0) + 1);
  const whole = [...reached.entries()]
    .filter(([api, count]) => count >= WILDCARD_MIN_OPERATIONS && count === declared.get(api))
    .map(([api, count]) => `${api} (${count})`)
    .sort(compareText);
  if (whole.length === 0) return undefined;
  return {
    code: 'broad-wildcard',
    weight: Math.min(WEIGHTS.wildcardCap, WEIGHTS.wildcardEach * whole.length),
    message: `may call every operation of ${list(whole)}, including the riskiest ones`,
  };
}

function grow(count: number, base: number, each: number, cap: number): number {
  return Math.min(cap, base + each * (count - 1));
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Requested operations first (the reviewer is deciding on those), then policy order. */
function byRequestedThenIndex(a: Access, b: Access): number {
  return Number(b.requested) - Number(a.requested) || a.operation.index - b.operation.index;
}

function named(entries: readonly Access[]): string {
  const shown = entries.slice(0, NAMED).map((entry) => `${nameOf(entry.operation)}${entry.requested ? ' (requested)' : ''}`);
  return entries.length > NAMED ? `${shown.join(', ')} and ${entries.length - NAMED} more` : list(shown);
}

function nameOf(operation: CompiledOperation): string {
  return `${operation.api.name}.${operation.id}`;
}

function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function distinct(items: readonly string[]): string[] {
  return [...new Set(items)].sort(compareText);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
