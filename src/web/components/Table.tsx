import type { ReactNode } from 'react';

/**
 * A table on a laptop, a list of cards on a phone: each cell carries its
 * column's label, shown beside the value when the columns fold.
 */
export interface Column<Row> {
  label: string;
  cell(row: Row): ReactNode;
  /** Right-aligned on wide screens (numbers, buttons). */
  align?: 'right';
  /** Hidden from the folded (phone) view's labels, e.g. for a row of buttons. */
  bare?: boolean;
}

export function Table<Row>({ columns, rows, rowKey, caption }: { columns: Column<Row>[]; rows: Row[]; rowKey(row: Row): string | number; caption: string }) {
  return (
    <div className="-mx-4 sm:-mx-5">
      <table className="w-full text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="hidden border-b border-slate-200 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase md:table-header-group">
          <tr>
            {columns.map((column) => (
              <th key={column.label} scope="col" className={`px-4 py-2 first:pl-5 last:pr-5 ${column.align === 'right' ? 'text-right' : ''}`}>
                {column.bare ? <span className="sr-only">{column.label}</span> : column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200">
          {rows.map((row) => (
            <tr key={rowKey(row)} className="block px-4 py-3 sm:px-5 md:table-row md:p-0">
              {columns.map((column) => (
                <td
                  key={column.label}
                  className={`flex items-baseline justify-between gap-4 py-0.5 md:table-cell md:px-4 md:py-2.5 md:align-top md:first:pl-5 md:last:pr-5 ${column.align === 'right' ? 'md:text-right' : ''}`}
                >
                  {!column.bare && <span className="shrink-0 text-xs font-medium text-slate-600 md:hidden">{column.label}</span>}
                  <span className={`min-w-0 ${column.bare ? 'w-full md:w-auto' : 'text-right md:text-left'} ${column.align === 'right' ? 'md:text-right' : ''}`}>{column.cell(row)}</span>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
