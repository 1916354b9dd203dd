import type { Actor } from '../agents/lifecycle.js';
import { authorize, hasRole, type GovernanceContext } from '../governance/governance-context.js';
import type { Governance } from '../governance/governance.js';

/** What a caller may read: everything (admin, security, auditor), or only the agents they own. */
export type ReadScope = { readonly all: true } | { readonly all: false; readonly owner: string };

/**
 * Reads follow the roles too: admins, security and auditors see the whole fleet; an owner sees
 * their own agents and what belongs to them; someone with no Warden role sees nothing.
 */
export async function readScope(context: GovernanceContext, actor: Actor, what: string): Promise<ReadScope> {
  if (hasRole(actor, 'admin', 'security', 'auditor')) return { all: true };
  await authorize(context, actor, `read.${what}`, what, actor.roles.includes('owner'), 'a Warden role (admin, security, auditor, or owner for their own agents)');
  return { all: false, owner: actor.subject };
}

/** Reads of the whole control plane's state (the admin log, owners, the runtime diff). */
export async function requireFleetReader(context: GovernanceContext, actor: Actor, what: string): Promise<void> {
  await authorize(context, actor, `read.${what}`, what, hasRole(actor, 'admin', 'security', 'auditor'), 'admin, security or auditor');
}

/** Each agent's owner in the policy in force (empty before the first apply). */
export function ownersOf(governance: Governance): ReadonlyMap<string, string> {
  const snapshot = governance.context.publisher.current?.snapshot;
  return new Map([...(snapshot?.agents.values() ?? [])].map((agent) => [agent.name, agent.owner]));
}

/** Whether an agent with `owner` is within the scope. */
export function inScope(scope: ReadScope, owner: string | undefined): boolean {
  return scope.all || (owner !== undefined && owner.toLowerCase() === scope.owner.toLowerCase());
}
