/**
 * Plausible human-chosen names for string path parameters that a spec types only as
 * `type: string` (`{owner}`, `{repo}`, `{realm}`, `{tenant}`, `{username}`): real traffic
 * carries `acme-corp` and `jdoe` there, not random base62, and a templater has to tell such
 * values from literal path words, so the corpus must produce them.
 *
 * Each kind mixes a short curated list (what a small deployment has) with combinations, so
 * that `fresh` traffic can still draw hundreds of distinct values.
 */
import type { SeededRandom } from './seeded-random.js';

export type NameKind = 'user' | 'org' | 'repo' | 'realm' | 'region' | 'branch' | 'label' | 'generic';

const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'nia', 'oscar', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'wendy', 'yuki', 'zoe', 'omar', 'priya', 'chen', 'lars'];
const SURNAME = ['doe', 'smith', 'kowalski', 'nguyen', 'garcia', 'mueller', 'rossi', 'tanaka', 'okafor', 'silva', 'novak', 'haddad', 'larsen', 'dubois', 'patel', 'kim', 'ivanova', 'moreau', 'schmidt', 'fischer'];
const USERS = ['jdoe', 'asmith', 'mkowalski', 'octo-dev', 'dev-jane', 'tnguyen', 'priya-p', 'lars42', 'yuki-t', 'bob-builds'];

const ADJ = ['acme', 'blue', 'bright', 'north', 'rapid', 'silver', 'quiet', 'prime', 'golden', 'clear', 'swift', 'urban', 'pacific', 'summit', 'nova', 'orbit', 'maple', 'cedar', 'iron', 'lunar'];
const NOUN = ['corp', 'labs', 'works', 'systems', 'health', 'bank', 'foods', 'logistics', 'media', 'retail', 'energy', 'cloud', 'games', 'studio', 'partners', 'group', 'tech', 'motors', 'insure', 'travel'];
const ORG_SUFFIX = ['eu', 'us', 'uk', 'de', 'inc', 'io', 'hq', 'dev', 'oss', 'global'];
const ORGS = ['acme-corp', 'globex', 'initech', 'umbrella', 'hooli', 'stark-industries', 'wayne-enterprises', 'contoso', 'fabrikam', 'northwind'];

const PRODUCT = ['billing', 'payments', 'checkout', 'search', 'identity', 'inventory', 'ledger', 'notify', 'catalog', 'reports', 'gateway', 'scheduler', 'profile', 'media', 'analytics', 'auth', 'orders', 'shipping', 'pricing', 'web'];
const SUFFIX = ['svc', 'api', 'service', 'worker', 'ui', 'frontend', 'backend', 'sdk', 'cli', 'infra', 'core', 'lib', 'app', 'jobs', 'proxy'];
const REPOS = ['billing-svc', 'web-frontend', 'payments-api', 'infra', 'docs', 'terraform-modules', 'design-system', 'mobile-app', 'data-pipeline', 'dotfiles'];

const REALMS = ['master', 'customers', 'staff', 'partners', 'internal', 'acme', 'globex', 'dev', 'qa', 'b2b'];
const REALM_SUFFIX = ['users', 'staff', 'partners', 'customers', 'admins', 'internal', 'b2b', 'b2c', 'dev', 'test', 'prod', 'sandbox'];

const GEO = ['us', 'eu', 'ap', 'ca', 'sa', 'me', 'af'];
const DIRECTION = ['east', 'west', 'north', 'south', 'central', 'northeast', 'southeast'];

const BRANCH_WORDS = ['fix', 'feature', 'chore', 'hotfix', 'release', 'spike', 'refactor'];
const BRANCH_TOPICS = ['login-redirect', 'rate-limit', 'dark-mode', 'csv-export', 'retry-backoff', 'audit-log', 'sso', 'cache-warmup', 'deps', 'flaky-test', 'pagination', 'webhooks', 'i18n', 'search-index', 'oauth-scopes', 'docs-typos', 'ci-cache', 'memory-leak', 'timezone', 'null-check'];
const BRANCHES = ['main', 'develop', 'staging', 'release-2.4', 'gh-pages'];

const LABELS = ['bug', 'enhancement', 'documentation', 'good-first-issue', 'help-wanted', 'wontfix', 'duplicate', 'security', 'performance', 'needs-triage'];
const LABEL_PREFIX = ['area', 'kind', 'priority', 'team', 'size', 'status', 'app', 'svc', 'ops', 'data', 'qa', 'env'];

/**
 * Which kind of name a parameter called `name` holds, or undefined when it is not name-like.
 * Names ending in id / sid / uuid / key are identifiers, not names, whatever their stem.
 */
export function nameKind(name: string): NameKind | undefined {
  if (/(id|sid|uuid|key|number|num|no)$/i.test(name) && !/^(realm|tenant)$/i.test(name)) return undefined;
  const n = name.toLowerCase();
  if (/(user|login|owner|member|handle|author|assignee|username)/.test(n)) return 'user';
  if (/(org|tenant|workspace|team|company|account|customer|namespace)/.test(n)) return 'org';
  if (/(repo|project|app|service|bucket|package|cluster|pipeline)/.test(n)) return 'repo';
  if (/realm/.test(n)) return 'realm';
  if (/(region|zone|location)/.test(n)) return 'region';
  if (/(branch|ref)/.test(n)) return 'branch';
  if (/(label|tag|role|group|topic|scope|channel)/.test(n)) return 'label';
  if (/(name|slug)/.test(n)) return 'generic';
  return undefined;
}

/** A plausible name of the given kind. */
export function nameValue(kind: NameKind, rng: SeededRandom): string {
  const curated = rng.chance(0.35);
  switch (kind) {
    case 'user':
      if (curated) return rng.pick(USERS);
      return rng.chance(0.5)
        ? `${rng.pick(FIRST)[0]}${rng.pick(SURNAME)}`
        : `${rng.pick(FIRST)}-${rng.pick(SURNAME)}${rng.chance(0.3) ? rng.int(1, 99) : ''}`;
    case 'org':
      if (curated) return rng.pick(ORGS);
      return `${rng.pick(ADJ)}-${rng.pick(NOUN)}${rng.chance(0.4) ? `-${rng.pick(ORG_SUFFIX)}` : ''}`;
    case 'repo':
      if (curated) return rng.pick(REPOS);
      return `${rng.chance(0.5) ? `${rng.pick(ADJ)}-` : ''}${rng.pick(PRODUCT)}-${rng.pick(SUFFIX)}`;
    case 'realm':
      if (curated) return rng.pick(REALMS);
      return `${rng.pick(ADJ)}-${rng.pick(REALM_SUFFIX)}${rng.chance(0.3) ? `-${rng.int(2, 9)}` : ''}`;
    case 'region':
      return `${rng.pick(GEO)}-${rng.pick(DIRECTION)}-${rng.int(1, 4)}`;
    case 'branch':
      if (curated) return rng.pick(BRANCHES);
      return `${rng.pick(BRANCH_WORDS)}-${rng.pick(BRANCH_TOPICS)}${rng.chance(0.3) ? `-${rng.int(2, 99)}` : ''}`;
    case 'label':
      return curated ? rng.pick(LABELS) : `${rng.pick(LABEL_PREFIX)}-${rng.pick([...PRODUCT, 'p0', 'p1', 'p2', 'small', 'large'])}`;
    case 'generic':
      return `${rng.pick(ADJ)}-${rng.pick([...NOUN, ...PRODUCT])}`;
  }
}
