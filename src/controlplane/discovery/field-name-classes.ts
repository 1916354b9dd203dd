/**
 * Data classes guessed from response field names, for traffic whose bodies were never
 * inspected by a PII detector (HAR captures give top-level keys only). A heuristic: it
 * raises sensitivity, it never lowers it, and the inventory says where a class came from.
 */
// Matched against the field name lower-cased with `_` and `-` removed (`card_number` → `cardnumber`):
// long, unambiguous words anywhere in it, short ones only as the whole name, so `passport` is
// not a password and `compass` not a pass.
const RULES: readonly [RegExp, string][] = [
  [/password|passwd|passphrase|secret|apikey|accesstoken|refreshtoken|authtoken|sessiontoken|privatekey|^(pass|pwd|token|pin)$/, 'credentials'],
  [/ssn|socialsecurity|taxid|passport|nationalid|driverslicen[cs]e|driverlicen[cs]e/, 'pii'],
  [/email|phone|mobile|birth|^dob$|address|street|postcode|postal|zipcode|firstname|lastname|fullname|surname/, 'pii'],
  [/iban|cardnumber|^pan$|cvv|cvc|accountnumber|routingnumber|salary|wage|payroll|balance|bankaccount/, 'financial'],
  [/diagnos|medical|prescription|allerg|patient|^health/, 'health'],
];

/** Data classes suggested by a response shape's field names (`a,b,c` or `[a,b]`). */
export function dataClassesOfShape(shape: string): string[] {
  const classes = new Set<string>();
  for (const field of shape.replace(/^\[|\]$/g, '').split(',')) {
    const name = field.toLowerCase().replace(/[_-]/g, '');
    if (name === '') continue;
    for (const [pattern, dataClass] of RULES) if (pattern.test(name)) classes.add(dataClass);
  }
  return [...classes].sort();
}

/** The sensitivity the data classes imply: the strictest one wins. */
export function sensitivityOf(dataClasses: Iterable<string>): 'restricted' | 'confidential' | undefined {
  let sensitivity: 'restricted' | 'confidential' | undefined;
  for (const dataClass of dataClasses) {
    if (dataClass === 'credentials' || dataClass === 'health' || dataClass === 'financial') return 'restricted';
    if (dataClass === 'pii') sensitivity = 'confidential';
  }
  return sensitivity;
}
