import type { Migration } from 'kysely';
import type { SqlDialectName } from '../sql-store.js';
import { policyVersions } from './0001-policy-versions.js';
import { credentialsAndAudit } from './0002-credentials-and-audit.js';
import { governance } from './0003-governance.js';
import { approvals } from './0004-approvals.js';
import { merkleAuditLog } from './0005-merkle-audit-log.js';
import { discovery } from './0006-discovery.js';
import { detection } from './0007-detection.js';

/** Every migration in order. Names are never changed once released: the database records them. */
export function migrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001-policy-versions': policyVersions(dialect),
    '0002-credentials-and-audit': credentialsAndAudit(),
    '0003-governance': governance(dialect),
    '0004-approvals': approvals(),
    '0005-merkle-audit-log': merkleAuditLog(),
    '0006-discovery': discovery(),
    '0007-detection': detection(dialect),
  };
}
