import { formatDuration, formatTable, parseFormat, render, type Column } from './output';

interface Row {
  name: string;
  n: number | null;
}
const columns: Column<Row>[] = [
  { header: 'name', value: (r) => r.name },
  { header: 'count', value: (r) => r.n },
];

describe('output', () => {
  it('pads columns to the widest cell with upper-case headers and no trailing spaces', () => {
    expect(
      formatTable(
        [
          { name: 'a', n: 1 },
          { name: 'longer name', n: null },
        ],
        columns,
      ),
    ).toBe(['NAME          COUNT', 'a             1', 'longer name   -'].join('\n'));
  });

  it('keeps one row per line whatever the cell holds', () => {
    expect(formatTable([{ name: 'two\nlines', n: 0 }], columns).split('\n')).toEqual([
      'NAME        COUNT',
      'two lines   0',
    ]);
  });

  it('renders JSON and YAML of the data itself', () => {
    expect(JSON.parse(render('json', [{ name: 'a', n: 1 }], columns))).toEqual([{ name: 'a', n: 1 }]);
    expect(render('yaml', [{ name: 'a', n: 1 }], columns)).toBe('- name: a\n  n: 1');
  });

  it('refuses an unknown format, naming the known ones', () => {
    expect(parseFormat('json')).toBe('json');
    expect(() => parseFormat('xml')).toThrow('-o xml: use table, json or yaml');
  });

  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_340)).toBe('12.3s');
  });
});
