// Lists for people: aligned columns under a header row, long cells cut with an ellipsis so that a row fits a terminal.

export interface Column {
  title: string;
  /** The widest a cell may be; longer ones are cut. */
  max?: number;
}

export function table(columns: Column[], rows: string[][]): string {
  const cells = rows.map((row) => row.map((cell, index) => cut(cell, columns[index]?.max)));
  const widths = columns.map((column, index) => Math.max(column.title.length, ...cells.map((row) => row[index]?.length ?? 0)));
  const render = (row: string[]) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join("  ")
      .trimEnd();
  return [render(columns.map((column) => column.title)), ...cells.map(render)].join("\n");
}

function cut(text: string, max: number | undefined): string {
  const flat = text.replace(/\s+/g, " ");
  return max !== undefined && flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** One thing's fields, a name and a value a line, the values aligned. */
export function fieldList(fields: Array<[string, string]>): string {
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n");
}
