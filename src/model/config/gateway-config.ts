import { Type, type Static } from '@sinclair/typebox';
import { API_VERSION, oneOf, strictObject } from '../manifests/common.js';
import { SEVERITY_NAMES } from '../detection-vocabulary.js';
import { AuditSinkConfig } from './audit-sink-config.js';

const SECRET_REF = '^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$';

/** Notification severities, lowest first (the detection vocabulary's): a channel's `minSeverity` skips notifications below it. */
export const NOTIFY_SEVERITIES = SEVERITY_NAMES;
export type NotifySeverity = (typeof NOTIFY_SEVERITIES)[number];
const MinSeverity = Type.Optional(oneOf(NOTIFY_SEVERITIES, { description: 'send only notifications of at least this severity (low, medium, high, critical); those without one always go' }));

const port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65535, default: fallback, description: '0 picks a free port' });
const FilePath = Type.String({ minLength: 1, description: 'a file path, relative to the config file' });
const Algorithms = Type.Array(oneOf(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const), {
  minItems: 1,
  default: ['RS256', 'ES256', 'EdDSA'],
  description: 'accepted signature algorithms; symmetric (HS*) and `none` are never accepted',
});

/** Where the public keys of a token issuer come from. */
const KeySource = strictObject({
  jwksUri: Type.Optional(Type.String({ pattern: '^https?://', description: 'JWKS URL, fetched and cached (https in production)' })),
  jwksFile: Type.Optional(FilePath),
}, { description: 'exactly one of jwksUri or jwksFile' });

const tokenIssuerFields = {
  issuer: Type.String({ minLength: 1, description: 'exact `iss` value' }),
  audiences: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'accepted `aud` values' }),
  keys: KeySource,
  algorithms: Algorithms,
  clockSkewSeconds: Type.Integer({ minimum: 0, maximum: 300, default: 30 }),
};
const TokenIssuer = strictObject(tokenIssuerFields);

/** An identity provider whose tokens identify people on the admin API. */
const AdminOidcIssuer = strictObject({
  ...tokenIssuerFields,
  subjectClaim: Type.String({ default: 'email', description: 'claim holding the person\'s e-mail address (owners match it with agents\' owner)' }),
  rolesClaim: Type.String({ default: 'warden_roles', description: 'claim listing Warden roles: admin, security, owner, auditor' }),
});

export const GatewayConfigSchema = strictObject({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal('GatewayConfig'),
  /** Manifests applied at start; without it the gateway serves the policy last applied to the store. */
  manifests: Type.Optional(FilePath),
  data: Type.Optional(Type.String({ minLength: 1, description: 'data folder (SQLite store); default .warden or WARDEN_DATA' })),
  gateway: strictObject({
    host: Type.String({ default: '0.0.0.0' }),
    port: port(8080),
    mode: oneOf(['enforce', 'monitor'] as const, { default: 'enforce', description: 'monitor: every API records would-deny and lets calls pass' }),
    tls: Type.Optional(strictObject({
      cert: FilePath,
      key: FilePath,
      clientCa: Type.Optional(Type.String({ minLength: 1, description: 'CA bundle for agent client certificates (mTLS), relative to the config file' })),
    })),
    limits: strictObject({
      maxBodyBytes: Type.Integer({ minimum: 1024, default: 1_048_576, description: 'largest body inspected for parameter checks' }),
      maxJsonDepth: Type.Integer({ minimum: 1, maximum: 256, default: 32 }),
      maxUrlBytes: Type.Integer({ minimum: 256, default: 8192 }),
      maxFilteredResponseBytes: Type.Integer({ minimum: 1024, default: 16_777_216, description: 'largest answer field rules filter whole; a JSON array beyond 1 MiB is filtered record by record, each record at most this size' }),
    }, { default: {} }),
    timeouts: strictObject({
      connectMs: Type.Integer({ minimum: 1, default: 5000 }),
      headersMs: Type.Integer({ minimum: 1, default: 30_000, description: 'until the upstream sends response headers' }),
      bodyMs: Type.Integer({ minimum: 1, default: 30_000, description: 'longest pause between body chunks, either direction' }),
      drainMs: Type.Integer({ minimum: 0, default: 10_000, description: 'how long shutdown waits for in-flight requests' }),
    }, { default: {} }),
    /** The region this gateway runs in, checked against agents' and grants' regions. */
    region: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[a-z0-9-]+)?$' })),
  }, { default: {} }),
  admin: strictObject({
    host: Type.String({ default: '127.0.0.1' }),
    port: port(8081),
    oidc: Type.Array(AdminOidcIssuer, { default: [], description: 'identity providers whose tokens identify people (besides admin tokens)' }),
    bootstrapSubject: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', default: 'admin@localhost', description: 'owner of the first admin token, written to <data>/admin-token on first start' }),
  }, { default: {} }),
  governance: strictObject({
    keyTtlDays: Type.Integer({ minimum: 1, maximum: 365, default: 90, description: 'lifetime of a new API key' }),
    expiryWarningDays: Type.Integer({ minimum: 1, maximum: 90, default: 14, description: 'owners are warned this many days before a key expires' }),
    rotationOverlapHours: Type.Integer({ minimum: 0, maximum: 720, default: 24, description: 'how long a rotated key keeps working beside its successor' }),
    reviewUnusedDays: Type.Integer({ minimum: 1, default: 90, description: 'access reviews list grants unused this long' }),
    reviewIdleDays: Type.Integer({ minimum: 1, default: 90, description: 'access reviews list agents idle this long' }),
    jobsEveryMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 60, description: 'how often expiry warnings, access reviews and expired grants are processed' }),
  }, { default: {} }),
  notify: strictObject({
    webhook: Type.Optional(strictObject({
      url: Type.String({ pattern: '^https?://', description: 'receives each notification as a JSON POST' }),
      secret: Type.Optional(Type.String({ pattern: SECRET_REF, description: 'HMAC-SHA256 key (env:NAME or file:PATH); the signature is in X-Warden-Signature' })),
      minSeverity: MinSeverity,
    })),
    slack: Type.Optional(strictObject({
      url: Type.String({
        // The URL itself is the credential: plain http only to this machine, better kept out of the file as env:NAME or file:PATH.
        pattern: `^(https://[^/?#@\\s]+|http://(localhost|127\\.[0-9]+\\.[0-9]+\\.[0-9]+|\\[::1\\])(:[0-9]+)?)([/?][^\\s]*)?$|${SECRET_REF}`,
        description: 'Slack (or Slack-compatible) incoming-webhook URL, or env:NAME / file:PATH holding it; it is a credential, never logged',
      }),
      minSeverity: MinSeverity,
    })),
    syslog: Type.Optional(strictObject({
      host: Type.String({ minLength: 1, description: 'the syslog receiver\'s host name or IP address' }),
      port: Type.Integer({ minimum: 1, maximum: 65535, description: 'the receiver\'s port, commonly 6514 for TLS and 514 for TCP or UDP' }),
      transport: oneOf(['tls', 'tcp', 'udp'] as const, { default: 'tls', description: 'tls (RFC 5425), tcp (RFC 6587) or udp (RFC 5426, one datagram per notification, lost without notice); tcp and udp are plain text' }),
      caFile: Type.Optional(Type.String({ minLength: 1, description: 'CA bundle (PEM) that signed the receiver\'s certificate, relative to the config file; default: the system CAs' })),
      serverName: Type.Optional(Type.String({ minLength: 1, description: 'name the receiver\'s certificate must carry (also sent as SNI); default: host' })),
      facility: Type.Integer({ minimum: 0, maximum: 23, default: 13, description: 'syslog facility number: 13 log audit (default), 10 authpriv, 4 auth, 16–23 local0–local7' }),
      appName: Type.String({ pattern: '^[!-~]{1,48}$', default: 'warden', description: 'the APP-NAME field: printable ASCII without spaces, at most 48 characters' }),
      minSeverity: MinSeverity,
    })),
  }, { default: {} }),
  detection: strictObject({
    enabled: Type.Boolean({ default: true, description: 'run the anomaly detectors on the audit stream' }),
    learningDays: Type.Integer({ minimum: 1, maximum: 90, default: 7, description: 'days of traffic an agent\'s baseline learns from before its detectors raise alerts' }),
    grantGraceDays: Type.Integer({ minimum: 0, maximum: 90, default: 7, description: 'an operation granted this recently is not reported as a new sensitive operation' }),
    baselineSaveSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 60, description: 'how often learned baselines are saved to the store' }),
  }, { default: {} }),
  dataProtection: strictObject({
    pseudonymKey: Type.Optional(Type.String({ pattern: '^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$', description: 'key (env:NAME or file:PATH, at least 32 characters) of the pseudonyms the hash masking style gives; gateways sharing it give one value the same pseudonym; default: a key made once in the data directory' })),
  }, { default: {} }),
  audit: strictObject({
    mode: oneOf(['buffered', 'strict'] as const, { default: 'buffered', description: 'strict: a response waits until its record is durable' }),
    flushIntervalMs: Type.Integer({ minimum: 1, maximum: 50, default: 50 }),
    jsonl: Type.Optional(Type.String({ minLength: 1, description: 'also append every record to this JSONL file, relative to the config file' })),
    signingKey: Type.Optional(Type.String({ pattern: '^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$', description: 'Ed25519 private key (PKCS#8 PEM) that signs checkpoints (env:NAME or file:PATH); default: a key made once in the data directory' })),
    checkpointSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 60, description: 'how often a signed checkpoint is made while records arrive' }),
    segmentSize: Type.Integer({ minimum: 256, maximum: 16_777_216, default: 65_536, description: 'records per segment, the unit retention prunes (a power of two)' }),
    retention: strictObject({
      defaultDays: Type.Integer({ minimum: 1, default: 400, description: 'records are kept at least this long' }),
      dataClasses: Type.Record(Type.String({ minLength: 1 }), Type.Integer({ minimum: 1 }), { default: {}, description: 'days to keep records that touched a data class; the longest applicable wins' }),
      everyMinutes: Type.Integer({ minimum: 1, maximum: 10_080, default: 60, description: 'how often sealed segments are pruned' }),
    }, { default: {} }),
    sinks: Type.Array(AuditSinkConfig, { default: [], description: 'SIEM export sinks (docs/audit-export.md)' }),
  }, { default: {} }),
  rateLimits: strictObject({
    backend: oneOf(['memory', 'redis'] as const, { default: 'memory', description: 'memory: each gateway process limits on its own; redis: gateways sharing a Redis enforce one limit together' }),
    redis: Type.Optional(strictObject({
      url: Type.String({ pattern: '^rediss?://', description: 'redis:// or rediss:// URL without a password' }),
      password: Type.Optional(Type.String({ pattern: '^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$', description: 'Redis password (env:NAME or file:PATH)' })),
      prefix: Type.String({ default: 'warden:', description: 'prefix of every key Warden writes' }),
      commandTimeoutMs: Type.Integer({ minimum: 1, maximum: 5000, default: 50, description: 'a limiter call slower than this counts as Redis unreachable' }),
    })),
  }, { default: {} }),
  stepUp: strictObject({
    pendingSeconds: Type.Integer({ minimum: 10, maximum: 7 * 86_400, default: 900, description: 'how long an approval request waits for a human before it expires' }),
    useWithinSeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 300, description: 'how long an approved call may take to be sent again' }),
    maxWaitSeconds: Type.Integer({ minimum: 0, maximum: 120, default: 30, description: 'longest an agent may hold a call open for the decision (Prefer: wait=N)' }),
    maxPendingPerAgent: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'calls of one agent that may wait for a person at once; more are refused, so an agent cannot flood its approvers' }),
    callbackSecret: Type.Optional(Type.String({ pattern: '^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$', description: 'HMAC-SHA256 key (env:NAME or file:PATH) of signed approval callbacks from chat-ops tools' })),
  }, { default: {} }),
  identity: strictObject({
    jwt: Type.Array(TokenIssuer, { default: [], description: 'OAuth2/OIDC issuers whose access tokens identify agents' }),
    context: Type.Array(TokenIssuer, { default: [], description: 'orchestrators trusted to sign Warden-Context task tokens' }),
  }, { default: {} }),
});

export type GatewayConfig = Static<typeof GatewayConfigSchema>;
export type TokenIssuerConfig = Static<typeof TokenIssuer>;
export type AdminOidcConfig = Static<typeof AdminOidcIssuer>;
