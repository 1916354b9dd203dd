/**
 * A report as people read it: a summary and tables. Each report turns its typed result into
 * one of these; the renderers (report-renderers.ts) print it as text, CSV or HTML. JSON is
 * rendered from the typed result itself, not from this.
 */
export interface ReportDocument {
  readonly summary: readonly SummaryItem[];
  readonly tables: readonly ReportTable[];
  /** Definitions and caveats the reader needs to interpret the numbers. */
  readonly notes: readonly string[];
}

/** A cell's value; `kind` says how to show it. */
export type Cell = string | number | boolean | null | readonly string[];

/**
 * - `ratio`: a share between 0 and 1, shown as a percentage (CSV keeps the ratio);
 * - `time`: an ISO 8601 time; `list`: strings, joined; others as they are. Null shows as `—` (CSV: empty).
 */
export type CellKind = 'text' | 'number' | 'ratio' | 'time' | 'list' | 'boolean';

export interface SummaryItem {
  readonly label: string;
  readonly value: Cell;
  readonly kind?: CellKind;
  /** Shown beside the value, e.g. "not yet measured" or the numerator and denominator. */
  readonly note?: string;
}

export interface Column {
  readonly key: string;
  readonly label: string;
  readonly kind?: CellKind;
}

export interface ReportTable {
  readonly id: string;
  readonly title: string;
  readonly columns: readonly Column[];
  readonly rows: readonly Readonly<Record<string, Cell>>[];
  /** What an empty table means, e.g. "no violations in the period". */
  readonly empty: string;
}

/** Who and when, for the header of every rendering. */
export interface ReportMeta {
  readonly report: string;
  readonly title: string;
  readonly description: string;
  readonly period: { readonly from: string; readonly to: string };
  readonly generatedAt: string;
  readonly wardenVersion: string;
  /** The applied policy version (`sha256:…`) the report read, if any. */
  readonly policyVersion: string | null;
}

/** A report run: its header, its typed result (what JSON carries) and its printable document. */
export interface ReportOutput<T = unknown> {
  readonly meta: ReportMeta;
  readonly result: T;
  readonly document: ReportDocument;
}
