import { cefMessage } from './cef-format.js';
import type { ExportRecord } from './export-record.js';
import { ocsfApiActivity } from './ocsf-format.js';

/** What a sink sends per record: the stored JSON, a CEF line or an OCSF object. */
export type RecordFormat = 'json' | 'cef' | 'ocsf';

/** Turns one record into the text a sink sends for it (one line: none of the formats holds a raw line break). */
export type RecordFormatter = (record: ExportRecord) => string;

export interface FormatContext {
  readonly productVersion: string;
}

/**
 * The formatter of a format. `json` is the stored record text unchanged, so a receiver can check
 * every record's hash and the chain (`prevHash`) without Warden; the others are mappings for SIEMs
 * that expect their own schema and do not carry a verifiable text.
 */
export function recordFormatter(format: RecordFormat, context: FormatContext): RecordFormatter {
  switch (format) {
    case 'json':
      return (record) => record.json;
    case 'cef':
      return (record) => cefMessage(record, context);
    case 'ocsf':
      return (record) => JSON.stringify(ocsfApiActivity(record, context));
  }
}
