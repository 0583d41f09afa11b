/**
 * RFC 4180 CSV, the format spreadsheets round-trip: fields with a comma, quote, CR or
 * LF are quoted, quotes doubled, CRLF line ends. Cells that a spreadsheet would run as a
 * formula (=, +, -, @ first) get a leading apostrophe on write, and lose it again on
 * read, so a reviewed file cannot smuggle a formula into an auditor's spreadsheet.
 */

const FORMULA = /^[=+\-@\t\r]/;

export function csvField(value: string): string {
  const safe = FORMULA.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvLine(fields: string[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

export function toCsv(header: string[], rows: string[][]): string {
  return [header, ...rows].map(csvLine).join("");
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = "CsvSyntaxError";
  }
}

/** Records as arrays of fields; a BOM and a trailing empty line are ignored; `line` is 1-based per record. */
export function parseCsv(text: string): { fields: string[]; line: number }[] {
  const src = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const out: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endField = () => {
    fields.push(field.startsWith("'") && FORMULA.test(field.slice(1)) ? field.slice(1) : field);
    field = "";
  };
  const endRecord = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === "")) out.push({ fields, line: recordLine });
    fields = [];
    recordLine = line;
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = src[i];
        if (next !== undefined && next !== "," && next !== "\r" && next !== "\n") throw new CsvSyntaxError("text after a closing quote", line);
        continue;
      }
      if (c === "\n") line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") {
      quoted = true;
      i++;
    } else if (c === ",") {
      endField();
      i++;
    } else if (c === "\r" || c === "\n") {
      i += c === "\r" && src[i + 1] === "\n" ? 2 : 1;
      line++;
      endRecord();
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) throw new CsvSyntaxError("a quoted field is not closed", recordLine);
  if (field !== "" || fields.length) endRecord();
  return out;
}
