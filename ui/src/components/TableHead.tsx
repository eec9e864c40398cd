// The header row of the Agents view's tables: one column heading each ({ num } for a right-aligned
// figure; `fold` for a column narrow windows fold into the row, its cells marked `col-fold` too),
// and with `actions` a last column for the row's buttons, named only to screen readers.

export type Column = string | { num: string; fold?: boolean } | { text: string; fold: boolean };

export function TableHead({ columns, actions = false }: { columns: readonly Column[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => {
          if (typeof c === "string") {
            return (
              <th key={c} scope="col">
                {c}
              </th>
            );
          }
          const label = "num" in c ? c.num : c.text;
          const classes = ["num" in c ? "num" : "", c.fold ? "col-fold" : ""].filter(Boolean).join(" ");
          return (
            <th key={label} scope="col" className={classes || undefined}>
              {label}
            </th>
          );
        })}
        {actions ? (
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        ) : null}
      </tr>
    </thead>
  );
}
