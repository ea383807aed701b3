import type { ReactNode } from 'react';

/** A plain table: headings and rows of cells (the review table's look). */
export function SimpleTable({
  label,
  headings,
  rows,
}: {
  label?: string;
  headings: string[];
  rows: { key: string; cells: ReactNode[]; className?: (string | undefined)[] }[];
}) {
  return (
    <table className="review-table" aria-label={label}>
      <thead>
        <tr>
          {headings.map((h, i) => (
            <th key={`${h}-${i}`}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            {row.cells.map((cell, i) => (
              <td key={i} className={row.className?.[i]}>
                {cell}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
