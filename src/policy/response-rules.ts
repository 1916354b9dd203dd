import type { ResponseRules } from '../model/manifests/index.js';

// `customer.email`, `items[].ssn`, `*.password`: dotted names, `[]` for every list element.
const FIELD_PATH = /^(?:\*|[A-Za-z0-9_$@-]+)(?:\[\])?(?:\.(?:\*|[A-Za-z0-9_$@-]+)(?:\[\])?)*$/;

/** The first malformed field path in a grant's response rules, if any. */
export function invalidResponseField(rules: ResponseRules): { readonly list: 'allow' | 'mask' | 'drop'; readonly index: number; readonly path: string } | undefined {
  for (const list of ['allow', 'mask', 'drop'] as const) {
    const paths = rules[list] ?? [];
    const index = paths.findIndex((path) => !FIELD_PATH.test(path));
    if (index !== -1) return { list, index, path: paths[index]! };
  }
  return undefined;
}
