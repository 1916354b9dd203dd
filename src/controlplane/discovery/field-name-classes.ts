/**
 * Data classes guessed from response field names, for traffic whose bodies were never
 * inspected by a PII detector (HAR captures give top-level keys only). A heuristic: it
 * raises sensitivity, it never lowers it, and the inventory says where a class came from.
 */
const RULES: readonly [RegExp, string][] = [
  [/pass(word)?|secret|api_?key|access_?token|refresh_?token|private_?key|client_?secret/i, 'credentials'],
  [/ssn|social_?security|tax_?id|passport|national_?id|driver_?licen[cs]e/i, 'pii'],
  [/e_?mail|phone|mobile|birth|dob|address|street|postcode|postal|zip_?code|first_?name|last_?name|full_?name|surname/i, 'pii'],
  [/iban|card_?number|pan$|cvv|account_?number|routing|salary|wage|payroll|balance|bank/i, 'financial'],
  [/diagnos|medical|health|prescription|allerg|patient/i, 'health'],
];

/** Data classes suggested by a response shape's field names (`a,b,c` or `[a,b]`). */
export function dataClassesOfShape(shape: string): string[] {
  const classes = new Set<string>();
  for (const field of shape.replace(/^\[|\]$/g, '').split(',')) {
    if (field === '') continue;
    for (const [pattern, dataClass] of RULES) if (pattern.test(field)) classes.add(dataClass);
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
