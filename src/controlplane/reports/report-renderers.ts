import type { Cell, CellKind, ReportOutput, ReportTable } from './report-document.js';
import { csvCell } from '../audit/audit-export-format.js';

export const REPORT_FORMATS = ['text', 'json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderedReport {
  readonly body: string;
  readonly contentType: string;
  /** File extension without the dot, for a default file name. */
  readonly extension: string;
}

/** Renders a report run in one of REPORT_FORMATS. */
export function renderReport(output: ReportOutput, format: ReportFormat): RenderedReport {
  switch (format) {
    case 'json':
      return { body: renderJson(output), contentType: 'application/json; charset=utf-8', extension: 'json' };
    case 'csv':
      return { body: renderCsv(output), contentType: 'text/csv; charset=utf-8; header=present', extension: 'csv' };
    case 'html':
      return { body: renderHtml(output), contentType: 'text/html; charset=utf-8', extension: 'html' };
    case 'text':
      return { body: renderText(output), contentType: 'text/plain; charset=utf-8', extension: 'txt' };
  }
}

/** The header fields and the typed result: what scripts and the admin API read. */
export function renderJson(output: ReportOutput): string {
  return `${JSON.stringify({ ...output.meta, result: output.result }, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180): CRLF line ends; a field with a comma, quote, CR or LF is quoted, quotes doubled.

/**
 * One CSV field, quoted and neutralised as audit exports are (csvCell): agent names, owners and
 * purposes are user input and must never run as a formula in the reader's spreadsheet. Numbers
 * are Warden's own and are written as they are.
 */
export function csvField(value: Cell, kind: CellKind = 'text'): string {
  let text: string;
  if (value === null) text = '';
  else if (typeof value === 'number') return String(kind === 'ratio' ? Math.round(value * 10_000) / 10_000 : value);
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else if (typeof value === 'string') text = value;
  else text = value.join('; ');
  return csvCell(text);
}

function csvRow(fields: readonly string[]): string {
  return `${fields.join(',')}\r\n`;
}

/**
 * The report as CSV blocks separated by an empty line: the header (field, value), the summary
 * (metric, value, note), then each table as its title on a line of its own, a header row and
 * its rows.
 */
export function renderCsv(output: ReportOutput): string {
  const { document } = output;
  let csv = csvRow(['field', 'value'].map((field) => csvField(field)));
  for (const [field, value] of headerFields(output)) csv += csvRow([csvField(field), csvField(value)]);
  csv += '\r\n';
  csv += csvRow([csvField('Summary')]);
  csv += csvRow(['metric', 'value', 'note'].map((field) => csvField(field)));
  for (const item of document.summary) csv += csvRow([csvField(item.label), csvField(item.value, item.kind), csvField(item.note ?? null)]);
  for (const table of document.tables) {
    csv += '\r\n';
    csv += csvRow([csvField(table.title)]);
    csv += csvRow(table.columns.map((column) => csvField(column.label)));
    for (const row of table.rows) csv += csvRow(table.columns.map((column) => csvField(row[column.key] ?? null, column.kind)));
  }
  return csv;
}

function headerFields(output: ReportOutput): [string, string | null][] {
  const { meta } = output;
  return [
    ['report', meta.report],
    ['title', meta.title],
    ['from', meta.period.from],
    ['to', meta.period.to],
    ['generated at', meta.generatedAt],
    ['warden version', meta.wardenVersion],
    ['policy version', meta.policyVersion],
  ];
}

// ---------------------------------------------------------------------------------------------
// Display (text and HTML).

/** A value as people read it. */
export function displayValue(value: Cell, kind: CellKind = 'text'): string {
  if (value === null) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    if (kind === 'ratio') return `${(value * 100).toFixed(1)} %`;
    return Number.isInteger(value) ? String(value) : value.toFixed(2);
  }
  if (typeof value === 'string') return value;
  return value.length === 0 ? '—' : value.join(', ');
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

const PRINT_CSS = `
:root { color-scheme: light; }
body { font: 10pt/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #111; margin: 2rem; }
header { border-bottom: 2px solid #111; margin-bottom: 1rem; }
h1 { font-size: 18pt; margin: 0 0 .25rem; }
h2 { font-size: 13pt; margin: 1.25rem 0 .4rem; page-break-after: avoid; break-after: avoid; }
p.description { margin: 0 0 .5rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0 1rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 0 0 1rem; }
th, td { border: 1px solid #777; padding: .2rem .4rem; text-align: left; vertical-align: top; }
th { background: #e8e8e8; font-weight: 600; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.time { white-space: nowrap; }
tr { page-break-inside: avoid; break-inside: avoid; }
thead { display: table-header-group; }
p.empty { font-style: italic; color: #444; }
span.note { color: #555; }
footer { margin-top: 2rem; border-top: 1px solid #777; font-size: 8.5pt; color: #444; }
@page { size: A4 landscape; margin: 14mm 12mm; }
@media print {
  body { margin: 0; }
  section { page-break-inside: auto; }
}
`.trim();

/** A printable page: semantic HTML with embedded print CSS; every value is escaped. */
export function renderHtml(output: ReportOutput): string {
  const { meta, document } = output;
  const e = escapeHtml;
  const cell = (value: Cell, kind: CellKind = 'text') => {
    const text = e(displayValue(value, kind));
    return kind === 'time' && typeof value === 'string' ? `<time datetime="${e(value)}">${text}</time>` : text;
  };
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="Warden ${e(meta.wardenVersion)}">`,
    `<title>${e(meta.title)} — ${e(meta.period.from)} to ${e(meta.period.to)}</title>`,
    `<style>\n${PRINT_CSS}\n</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${e(meta.title)}</h1>`,
    `<p class="description">${e(meta.description)}</p>`,
    '<dl class="meta">',
    `<dt>Report</dt><dd>${e(meta.report)}</dd>`,
    `<dt>Period</dt><dd><time datetime="${e(meta.period.from)}">${e(meta.period.from)}</time> to <time datetime="${e(meta.period.to)}">${e(meta.period.to)}</time> (end excluded)</dd>`,
    `<dt>Generated</dt><dd><time datetime="${e(meta.generatedAt)}">${e(meta.generatedAt)}</time></dd>`,
    `<dt>Warden version</dt><dd>${e(meta.wardenVersion)}</dd>`,
    `<dt>Policy version</dt><dd>${meta.policyVersion === null ? 'none applied' : e(meta.policyVersion)}</dd>`,
    '</dl>',
    '</header>',
    '<main>',
    '<section aria-labelledby="summary">',
    '<h2 id="summary">Summary</h2>',
    '<table class="summary">',
    '<thead><tr><th scope="col">Metric</th><th scope="col">Value</th><th scope="col">Note</th></tr></thead>',
    '<tbody>',
  );
  for (const item of document.summary) {
    const kind = item.kind ?? (typeof item.value === 'number' ? 'number' : 'text');
    parts.push(`<tr><th scope="row">${e(item.label)}</th><td class="${cellClass(kind)}">${cell(item.value, kind)}</td><td>${item.note === undefined ? '' : `<span class="note">${e(item.note)}</span>`}</td></tr>`);
  }
  parts.push('</tbody>', '</table>', '</section>');
  for (const table of document.tables) parts.push(htmlTable(table, cell));
  if (document.notes.length > 0) {
    parts.push('<section aria-labelledby="notes">', '<h2 id="notes">Definitions and notes</h2>', '<ul>');
    for (const note of document.notes) parts.push(`<li>${e(note)}</li>`);
    parts.push('</ul>', '</section>');
  }
  parts.push('</main>', `<footer><p>Generated by Warden ${e(meta.wardenVersion)} at ${e(meta.generatedAt)} · report ${e(meta.report)}</p></footer>`, '</body>', '</html>', '');
  return parts.join('\n');
}

function cellClass(kind: CellKind): string {
  return kind === 'number' || kind === 'ratio' ? 'number' : kind === 'time' ? 'time' : 'text';
}

function htmlTable(table: ReportTable, cell: (value: Cell, kind?: CellKind) => string): string {
  const e = escapeHtml;
  const id = `table-${table.id.replace(/[^a-z0-9-]/gi, '')}`;
  const lines = [`<section aria-labelledby="${id}">`, `<h2 id="${id}">${e(table.title)}</h2>`];
  if (table.rows.length === 0) {
    lines.push(`<p class="empty">${e(table.empty)}</p>`, '</section>');
    return lines.join('\n');
  }
  lines.push('<table>', `<thead><tr>${table.columns.map((column) => `<th scope="col">${e(column.label)}</th>`).join('')}</tr></thead>`, '<tbody>');
  for (const row of table.rows) {
    const cells = table.columns.map((column) => {
      const kind = column.kind ?? 'text';
      return `<td class="${cellClass(kind)}">${cell(row[column.key] ?? null, kind)}</td>`;
    });
    lines.push(`<tr>${cells.join('')}</tr>`);
  }
  lines.push('</tbody>', '</table>', '</section>');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Text, for the terminal.

/** The report as aligned plain-text tables. */
export function renderText(output: ReportOutput): string {
  const { meta, document } = output;
  const lines: string[] = [
    meta.title,
    `period ${meta.period.from} to ${meta.period.to} (end excluded)`,
    `generated ${meta.generatedAt} by Warden ${meta.wardenVersion}${meta.policyVersion === null ? '' : `, policy ${meta.policyVersion.slice(0, 19)}`}`,
    '',
  ];
  const labelWidth = Math.max(0, ...document.summary.map((item) => item.label.length));
  for (const item of document.summary) lines.push(`  ${item.label.padEnd(labelWidth)}  ${oneLine(displayValue(item.value, item.kind))}${item.note === undefined ? '' : `  (${oneLine(item.note)})`}`);
  for (const table of document.tables) {
    lines.push('', `${table.title}:`);
    if (table.rows.length === 0) {
      lines.push(`  ${table.empty}`);
      continue;
    }
    const cells = table.rows.map((row) => table.columns.map((column) => oneLine(displayValue(row[column.key] ?? null, column.kind ?? 'text'))));
    const widths = table.columns.map((column, index) => Math.max(column.label.length, ...cells.map((row) => row[index]!.length)));
    const format = (row: readonly string[]) => `  ${row.map((text, index) => text.padEnd(widths[index]!)).join('  ')}`.trimEnd();
    lines.push(format(table.columns.map((column) => column.label)));
    for (const row of cells) lines.push(format(row));
  }
  if (document.notes.length > 0) {
    lines.push('', 'Notes:');
    for (const note of document.notes) lines.push(`  - ${oneLine(note)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Control characters (a newline in a purpose, an escape sequence in a name) must not break or drive the terminal. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}
