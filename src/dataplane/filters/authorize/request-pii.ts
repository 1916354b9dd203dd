import type { CompiledPiiRules } from '../../../policy/data-rules.js';
import { isJsonMediaType } from '../../media-type.js';
import type { RequestContext } from '../../pipeline/request-context.js';
import { DataFindings, deniedDetail, scanPii } from '../../pii-scan.js';

/**
 * A grant's PII rules over a request body, before anything is forwarded: classes it denies
 * refuse the call, the ones it masks are masked in the body the upstream receives. Such a
 * body was read by the authorize filter, which accepts only JSON and form bodies; what was
 * found goes into the audit record by class and field name.
 */
export function applyRequestPii(ctx: RequestContext, rules: CompiledPiiRules, pseudonymKey: Buffer): { readonly code: 'WARDEN_DATA_PII_DENIED'; readonly detail: string } | undefined {
  if (ctx.body === undefined) return undefined;
  const findings = new DataFindings();
  const json = isJsonMediaType(ctx.req.headers['content-type']);
  // The authorize filter parsed the body already, strictly: it is JSON or a form.
  const scanned = json ? scanPii(JSON.parse(ctx.body.toString('utf8')), undefined, '', rules, pseudonymKey, findings) : scanForm(new URLSearchParams(ctx.body.toString('utf8')), rules, pseudonymKey, findings);
  if (findings.classes.size > 0) ctx.requestPii = { piiClasses: [...findings.classes], maskedFields: [...findings.masked] };
  if (findings.denied !== undefined) return { code: 'WARDEN_DATA_PII_DENIED', detail: `the request body's ${deniedDetail(findings)}` };
  if (findings.masked.size > 0) {
    ctx.body = Buffer.from(json ? JSON.stringify(scanned) : String(scanned));
    ctx.bytesIn = ctx.body.length;
  }
  return undefined;
}

/** Each field of a form body judged with its name, like a JSON leaf. */
function scanForm(form: URLSearchParams, rules: CompiledPiiRules, pseudonymKey: Buffer, findings: DataFindings): URLSearchParams {
  const scanned = new URLSearchParams();
  for (const [name, value] of form) scanned.append(name, String(scanPii(value, name, name, rules, pseudonymKey, findings)));
  return scanned;
}
