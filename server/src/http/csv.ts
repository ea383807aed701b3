/**
 * RFC 4180 CSV. A cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`) is
 * prefixed with `'`, so that an exported audit trail cannot run anything when opened.
 */
export function toCsv(header: string[], rows: (string | number)[][]): string {
  const cell = (value: string | number) => {
    let s = String(value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
