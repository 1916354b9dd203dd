import { AccessReviewService } from '../access/access-review.js';
import { AccessService } from '../access/access-service.js';
import { AgentService } from '../agents/agent-service.js';
import { OwnerService } from '../agents/owner-service.js';
import { AdminTokens } from '../admin-api/admin-tokens.js';
import { ApprovalService, DEFAULT_STEP_UP_SETTINGS, type StepUpSettings } from '../approvals/approval-service.js';
import type { AuditService } from '../audit/audit-service.js';
import { CredentialService } from '../credentials/credential-service.js';
import { IncidentService } from '../detection/incident-service.js';
import { DiscoveryReview } from '../discovery/discovery-review.js';
import type { GovernanceContext } from './governance-context.js';

/** Every governance service over one context: what the admin API and the scheduler call. */
export class Governance {
  readonly agents: AgentService;
  readonly credentials: CredentialService;
  readonly access: AccessService;
  readonly reviews: AccessReviewService;
  readonly owners: OwnerService;
  readonly tokens: AdminTokens;
  readonly approvals: ApprovalService;
  readonly discovery: DiscoveryReview;
  readonly incidents: IncidentService;

  constructor(
    readonly context: GovernanceContext,
    options: {
      readonly stepUp?: StepUpSettings;
      /** The audit log: incidents place legal holds on it and read their timelines from it. */
      readonly audit?: AuditService;
    } = {},
  ) {
    this.agents = new AgentService(context);
    this.credentials = new CredentialService(context);
    this.access = new AccessService(context);
    this.reviews = new AccessReviewService(context, this.agents, this.credentials);
    this.owners = new OwnerService(context);
    this.tokens = new AdminTokens(context.store.governance);
    this.approvals = new ApprovalService(context, options.stepUp ?? DEFAULT_STEP_UP_SETTINGS);
    this.discovery = new DiscoveryReview(context, this.agents);
    this.incidents = new IncidentService(context, options.audit);
  }
}
