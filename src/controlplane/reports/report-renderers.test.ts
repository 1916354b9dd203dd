import { describe, expect, it } from 'vitest';
import type { ReportOutput } from './report-document.js';
import { csvField, displayValue, escapeHtml, renderCsv, renderHtml, renderJson, renderReport, renderText } from './report-renderers.js';

const HOSTILE = '<script>alert("x")</script>';

/** A report output whose cells are user input of every awkward kind. */
const OUTPUT: ReportOutput = {
  meta: {
    report: 'agent-inventory',
    title: 'Agent inventory',
    description: 'Every agent & its owner',
    period: { from: '2025-06-01T00:00:00.000Z', to: '2025-07-01T00:00:00.000Z' },
    generatedAt: '2025-07-01T08:00:00.000Z',
    wardenVersion: '1.2.3',
    policyVersion: 'sha256:abc',
  },
  result: { agents: [{ name: HOSTILE }] },
  document: {
    summary: [
      { label: 'Agents', value: 2 },
      { label: 'Share', value: 0.625, kind: 'ratio', note: '5 of 8' },
      { label: 'Not measured', value: null, note: 'not yet measured' },
    ],
    tables: [
      {
        id: 'agents',
        title: 'Agents',
        columns: [
          { key: 'name', label: 'Agent' },
          { key: 'purpose', label: 'Purpose' },
          { key: 'roles', label: 'Roles', kind: 'list' },
          { key: 'days', label: 'Days', kind: 'number' },
          { key: 'since', label: 'Since', kind: 'time' },
        ],
        rows: [
          { name: HOSTILE, purpose: '=cmd|" /C calc"!A0', roles: ['a', 'b'], days: -3, since: '2025-06-02T09:00:00.000Z' },
          { name: 'plain', purpose: 'line one\nline two, "quoted"', roles: [], days: 4, since: null },
        ],
        empty: 'no agents',
      },
      { id: 'empty', title: 'Nothing here', columns: [{ key: 'x', label: 'X' }], rows: [], empty: 'nothing <b>at all</b>' },
    ],
    notes: ['A note with <tags> & ampersands'],
  },
};

/** A minimal RFC 4180 reader: what a spreadsheet sees. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      row.push(field);
      field = '';
    } else if (character === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index++;
    } else field += character;
  }
  if (field !== '' || row.length > 0) throw new Error('the CSV does not end with CRLF');
  return rows;
}

describe('csvField', () => {
  it('quotes commas, quotes and line breaks as RFC 4180 says', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('one\ntwo')).toBe('"one\ntwo"');
    expect(csvField('one\r\ntwo')).toBe('"one\r\ntwo"');
    expect(csvField(null)).toBe('');
    expect(csvField(['a', 'b'], 'list')).toBe('a; b');
    expect(csvField(true)).toBe('true');
  });

  it('neutralises text a spreadsheet would run as a formula', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\t=1')).toBe("'\t=1");
    expect(csvField('\r=1')).toBe('"\'\r=1"');
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvField(['=a', 'b'], 'list')).toBe("'=a; b");
    expect(csvField('a=b')).toBe('a=b');
  });

  it('writes Warden\'s own numbers as numbers, negative ones included', () => {
    expect(csvField(-3, 'number')).toBe('-3');
    expect(csvField(0.625, 'ratio')).toBe('0.625');
    expect(csvField(2 / 3, 'ratio')).toBe('0.6667');
  });
});

describe('renderCsv', () => {
  it('writes header, summary and tables as blocks of CRLF records a spreadsheet reads back', () => {
    const csv = renderCsv(OUTPUT);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replaceAll('\r\n', '').includes('\r')).toBe(false);
    const rows = parseCsv(csv);
    expect(rows.slice(0, 8)).toEqual([
      ['field', 'value'],
      ['report', 'agent-inventory'],
      ['title', 'Agent inventory'],
      ['from', '2025-06-01T00:00:00.000Z'],
      ['to', '2025-07-01T00:00:00.000Z'],
      ['generated at', '2025-07-01T08:00:00.000Z'],
      ['warden version', '1.2.3'],
      ['policy version', 'sha256:abc'],
    ]);
    const agents = rows.findIndex((row) => row.length === 1 && row[0] === 'Agents');
    expect(rows.slice(agents, agents + 4)).toEqual([
      ['Agents'],
      ['Agent', 'Purpose', 'Roles', 'Days', 'Since'],
      [HOSTILE, '\'=cmd|" /C calc"!A0', 'a; b', '-3', '2025-06-02T09:00:00.000Z'],
      ['plain', 'line one\nline two, "quoted"', '', '4', ''],
    ]);
    expect(rows).toContainEqual(['Share', '0.625', '5 of 8']);
    expect(rows).toContainEqual(['Not measured', '', 'not yet measured']);
    expect(rows).toContainEqual(['X']);
  });
});

describe('renderHtml', () => {
  const html = renderHtml(OUTPUT);

  it('escapes every value', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('nothing &lt;b&gt;at all&lt;/b&gt;');
    expect(html).toContain('A note with &lt;tags&gt; &amp; ampersands');
    expect(html).toContain('Every agent &amp; its owner');
  });

  it('is a printable page: header with name, period, generation time and version, print CSS', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toMatch(/<header>[\s\S]*<h1>Agent inventory<\/h1>[\s\S]*<dt>Report<\/dt><dd>agent-inventory<\/dd>[\s\S]*<dt>Period<\/dt><dd><time datetime="2025-06-01T00:00:00.000Z">[\s\S]*<dt>Generated<\/dt><dd><time datetime="2025-07-01T08:00:00.000Z">[\s\S]*<dt>Warden version<\/dt><dd>1.2.3<\/dd>[\s\S]*<\/header>/);
    expect(html).toMatch(/@page \{[^}]*margin/);
    expect(html).toMatch(/tr \{[^}]*page-break-inside: avoid/);
    expect(html).toMatch(/th, td \{[^}]*border: 1px solid/);
    expect(html).toContain('<thead><tr><th scope="col">Agent</th>');
    expect(html).toContain('<td class="number">62.5 %</td>');
    expect(html).toContain('<p class="empty">');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });
});

describe('renderText and renderJson', () => {
  it('prints aligned tables and never passes control characters to the terminal', () => {
    const text = renderText({ ...OUTPUT, document: { ...OUTPUT.document, tables: [{ ...OUTPUT.document.tables[0]!, rows: [{ name: 'evil\u001b[2J', purpose: 'a\nb', roles: [], days: 1, since: null }] }] } });
    expect(text).not.toContain('\u001b');
    expect(text).toContain('evil [2J');
    expect(text).toContain('a b');
    expect(text).toMatch(/^ {2}Share +62\.5 % {2}\(5 of 8\)$/m);
  });

  it('carries the header fields and the typed result', () => {
    const json = JSON.parse(renderJson(OUTPUT));
    expect(json).toEqual({ ...OUTPUT.meta, result: OUTPUT.result });
    expect(renderReport(OUTPUT, 'html').contentType).toBe('text/html; charset=utf-8');
    expect(renderReport(OUTPUT, 'csv').extension).toBe('csv');
  });

  it('shows values as people read them', () => {
    expect(displayValue(null)).toBe('—');
    expect(displayValue(0.5, 'ratio')).toBe('50.0 %');
    expect(displayValue(41.0958, 'number')).toBe('41.10');
    expect(displayValue([], 'list')).toBe('—');
    expect(displayValue(false)).toBe('no');
  });
});
