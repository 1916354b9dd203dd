import { formatRuleRef, type Decision } from './decision.js';

/** A decision as the lines a person reads in a terminal or a review. */
export function explainDecision(decision: Decision): string[] {
  const lines: string[] = [];
  const target = decision.api ? ` ${decision.api}.${decision.operation}` : '';
  lines.push(`${decision.allowed ? 'ALLOW' : 'DENY'}${target}  (${decision.reason})`);
  lines.push(`  ${decision.message}`);
  if (decision.failed) {
    lines.push(`  failed condition: ${decision.failed.condition}${decision.failed.param ? ` on ${decision.failed.param}` : ''} in ${formatRuleRef(decision.failed.rule)}`);
  }
  const obligations = decision.obligations;
  if (obligations) {
    if (obligations.stepUp) lines.push('  step-up: a human must approve this call before it is forwarded');
    if (obligations.rateLimit) lines.push(`  rate limit: ${obligations.rateLimit.text}`);
    const response = obligations.response;
    if (response?.allow) lines.push(`  response: only ${response.allow.join(', ')}`);
    if (response?.mask) lines.push(`  response: masks ${response.mask.join(', ')}`);
    if (response?.drop) lines.push(`  response: drops ${response.drop.join(', ')}`);
  }
  for (const warning of decision.warnings) lines.push(`  warning: ${warning}`);
  if (decision.alternatives.length > 0) {
    lines.push('  you may use instead:');
    for (const alternative of decision.alternatives) {
      lines.push(`    ${alternative.method} ${alternative.path}  (${alternative.api}.${alternative.operation}; ${alternative.why})`);
    }
  }
  lines.push(`  policy ${decision.policyVersion.slice(0, 19)}`);
  return lines;
}
