import type { CompiledPiiRules } from '../../../policy/data-rules.js';
import type { RequestContext } from '../../pipeline/request-context.js';
import { DataFindings, scanPii } from '../response/pii-scan.js';
import { deniedDetail } from '../response/response-shaper.js';

/**
 * A grant's PII rules over a JSON request body, before anything is forwarded: classes it
 * denies refuse the call, the ones it masks are masked in the body the upstream receives.
 * Only JSON bodies are looked into (a form body's fields are not judged here); what was found
 * goes into the audit record by class and field name.
 */
export function applyRequestPii(ctx: RequestContext, rules: CompiledPiiRules, pseudonymKey: Buffer): { readonly code: 'WARDEN_DATA_PII_DENIED'; readonly detail: string } | undefined {
  if (ctx.body === undefined || !isJson(ctx.req.headers['content-type'])) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(ctx.body.toString('utf8'));
  } catch {
    // The authorize filter parsed it already; a body it could not parse never gets here.
    return undefined;
  }
  const findings = new DataFindings();
  const scanned = scanPii(document, undefined, '', rules, pseudonymKey, findings);
  if (findings.classes.size > 0) ctx.requestPii = { piiClasses: [...findings.classes], maskedFields: [...findings.masked] };
  if (findings.denied !== undefined) return { code: 'WARDEN_DATA_PII_DENIED', detail: `the request body's ${deniedDetail(findings)}` };
  if (findings.masked.size > 0) {
    ctx.body = Buffer.from(JSON.stringify(scanned));
    ctx.bytesIn = ctx.body.length;
  }
  return undefined;
}

function isJson(type: string | undefined): boolean {
  const media = (type ?? '').split(';')[0]!.trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json');
}
