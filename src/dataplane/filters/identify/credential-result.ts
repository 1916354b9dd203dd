import type { AuditCredential } from '../../../model/audit-event.js';

/** What checking one presented credential found: the agent it is bound to, or why not. */
export type CredentialResult =
  | { readonly ok: true; readonly agent: string; readonly credential: AuditCredential }
  | {
      readonly ok: false;
      readonly code: 'WARDEN_AUTHN_INVALID' | 'WARDEN_AUTHN_EXPIRED' | 'WARDEN_AUTHN_UNREGISTERED';
      readonly detail: string;
      /** Set when the credential itself was valid, so the audit record names it. */
      readonly credential?: AuditCredential;
    };
