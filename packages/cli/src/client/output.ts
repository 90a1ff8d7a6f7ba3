import YAML from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
}

/** A kubectl-style table: upper-case headers, columns padded to the widest cell, three spaces apart. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cellText(c.value(r))));
  const headers = columns.map((c) => c.header.toUpperCase());
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

function cellText(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === '') {
    return '-';
  }
  return String(v).replace(/\s+/g, ' ');
}

export function render<T>(format: OutputFormat, data: readonly T[] | T, columns: readonly Column<T>[]): string {
  switch (format) {
    case 'json':
      return JSON.stringify(data, null, 2);
    case 'yaml':
      return YAML.stringify(data).trimEnd();
    case 'table':
      return formatTable(Array.isArray(data) ? (data as readonly T[]) : [data as T], columns);
  }
}

export function parseFormat(value: string): OutputFormat {
  if (value === 'table' || value === 'json' || value === 'yaml') {
    return value;
  }
  throw new Error(`-o ${value}: use table, json or yaml`);
}

/** `12.3s`, `850ms`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
