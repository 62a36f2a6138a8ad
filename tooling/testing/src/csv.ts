/**
 * Parses RFC 4180 CSV text (quoted fields, doubled quotes, `\n` or `\r\n` line ends) into rows of strings. A
 * final line without a newline is a row; an empty text has none.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (ch !== '\r') field += ch;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** {@link parseCsv} split into the header (first row) and the data rows. */
export function readCsv(text: string): { header: string[]; rows: string[][] } {
  const [header = [], ...rows] = parseCsv(text);
  return { header, rows };
}
