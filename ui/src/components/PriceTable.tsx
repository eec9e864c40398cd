// The price table the costs come from: the user's prices, and Baton's defaults where the user
// has none (marked: list prices when Baton was built). Add, edit and remove the user's own rows;
// removing one over a default brings the default back (the backend answers with the table in
// force). A removal can be undone.

import { useEffect, useRef, useState } from "react";

import type { Price } from "../bindings/Price";
import { removePrice, setPrice, toBackendError } from "../lib/backend";
import { mayChange, useRights } from "../lib/rights";
import { formatPrice, modelText, priceFormOf, priceKey, samePrice, sortPrices, EMPTY_PRICE_FORM, type PriceFormValues } from "../lib/costs";
import type { Loaded } from "../lib/usePipelineData";
import { FormError } from "./FormError";
import { LoadState } from "./LoadState";
import { PriceForm } from "./PriceForm";
import { TableHead } from "./TableHead";

type Editing = { mode: "add"; initial: PriceFormValues } | { mode: "edit"; initial: PriceFormValues };

export function PriceTable({ prices, onSaved }: { prices: Loaded<Price[]>; onSaved(list: Price[]): void }) {
  const [editing, setEditing] = useState<Editing | null>(null);
  const [removed, setRemoved] = useState<Price | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const may = mayChange(useRights());
  const addRef = useRef<HTMLButtonElement>(null);
  const undoRef = useRef<HTMLButtonElement>(null);
  // Where focus goes once React has drawn the change that moved it (a frame callback could run
  // before the Undo button exists and lose it).
  // Every change that moves focus also changes what is drawn, so this runs after it.
  const focusNext = useRef<"add" | "undo" | null>(null);
  useEffect(() => {
    if (focusNext.current === null) return;
    (focusNext.current === "undo" ? undoRef : addRef).current?.focus();
    focusNext.current = null;
  });
  const list = prices.value;
  const rows = list ? sortPrices(list) : [];

  const open = (next: Editing) => {
    setEditing(next);
    setRemoved(null);
    setError(null);
  };
  const closeForm = () => {
    setEditing(null);
    focusNext.current = "add";
  };

  const run = async (task: () => Promise<Price[]>, after?: () => void) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onSaved(await task());
      after?.();
    } catch (thrown) {
      setError(toBackendError(thrown).message);
    } finally {
      setBusy(false);
    }
  };

  const remove = (p: Price) =>
    void run(
      () => removePrice(p.api, p.model),
      () => {
        setRemoved(p);
        // The row (and its button) is gone: focus goes to Undo.
        focusNext.current = "undo";
      },
    );
  const undo = (p: Price) =>
    void run(
      () => setPrice({ ...p, default: false }),
      () => {
        setRemoved(null);
        focusNext.current = "add";
      },
    );

  return (
    <div className="price-table" data-testid="price-table">
      <header className="group-header price-table-header">
        <h3 id="prices-title">Prices</h3>
        <span className="muted small">Dollars per 1,000 tokens. Your prices replace Baton&apos;s defaults for the same API and model.</span>
        <span className="spacer" />
        <button
          ref={addRef}
          type="button"
          className="button button--small"
          onClick={() => open({ mode: "add", initial: EMPTY_PRICE_FORM })}
          disabled={list === null}
          data-testid="price-add" {...may}
        >
          Add price…
        </button>
      </header>

      {editing ? (
        <PriceForm
          key={`${editing.mode}-${editing.initial.api}-${editing.initial.model}`}
          mode={editing.mode}
          initial={editing.initial}
          prices={list ?? []}
          onSaved={(next) => {
            onSaved(next);
            closeForm();
          }}
          onCancel={closeForm}
        />
      ) : null}

      {removed ? (
        <p className="price-notice" role="status" data-testid="price-removed">
          Removed your price for {modelText(removed.api, removed.model)}
          {list?.some((p) => p.default && samePrice(p, removed)) ? "; Baton's default applies again" : ""}.{" "}
          <button
            ref={undoRef}
            type="button"
            className="button button--small button--ghost"
            onClick={() => undo(removed)}
            aria-disabled={busy || undefined}
            data-testid="price-undo"
          >
            Undo
          </button>
        </p>
      ) : null}
      <FormError error={error} testId="price-error" sentence />
      <LoadState
        loaded={prices}
        what="the prices"
        loading="Loading prices…"
        errorTestId="prices-load-error"
        empty={rows.length === 0}
        emptyText="No prices: every token is unpriced. Add the prices your providers charge."
      >
        <div className="table-wrap">
          <table className="agents-table prices" aria-labelledby="prices-title">
            <TableHead columns={["API", "Model", { num: "Input / 1k" }, { num: "Output / 1k" }, "Source"]} actions />
            <tbody>
              {rows.map((p) => {
                const what = modelText(p.api, p.model);
                return (
                  <tr key={`${p.default ? "d" : "u"}-${priceKey(p)}`} data-testid="price-row" data-default={p.default} data-api={p.api} data-model={p.model ?? ""}>
                    <td className="mono">{p.api}</td>
                    <td className={p.model === null ? "muted" : "mono"}>{p.model ?? "every model"}</td>
                    <td className="num">{formatPrice(p.input_per_1k)}</td>
                    <td className="num">{formatPrice(p.output_per_1k)}</td>
                    <td>
                      {p.default ? (
                        <span className="price-default" data-testid="price-default">
                          default — check your provider&apos;s current prices
                        </span>
                      ) : (
                        <span className="muted">yours</span>
                      )}
                    </td>
                    <td className="actions">
                      {p.default ? (
                        <button
                          type="button"
                          className="button button--small button--ghost"
                          onClick={() => open({ mode: "add", initial: priceFormOf(p) })}
                          aria-label={`Set your own price for ${what}`}
                          data-testid="price-override" {...may}
                        >
                          Set my price…
                        </button>
                      ) : (
                        <>
                          <button
                            type="button"
                            className="button button--small"
                            onClick={() => open({ mode: "edit", initial: priceFormOf(p) })}
                            aria-label={`Edit the price for ${what}`}
                            data-testid="price-edit" {...may}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            className="button button--small button--danger-ghost"
                            onClick={() => remove(p)}
                            disabled={busy}
                            aria-label={`Remove your price for ${what}`}
                            data-testid="price-remove" {...may}
                          >
                            Remove
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </LoadState>
    </div>
  );
}
