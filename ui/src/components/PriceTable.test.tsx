import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import type { Price } from "../bindings/Price";
import { setTransport } from "../lib/backend";
import { samePrice } from "../lib/costs";
import { price } from "../test/pipelines";
import { createTestTransport, type TestTransport } from "../test/transport";
import { PriceTable } from "./PriceTable";

const DEFAULTS = [price("openai", "gpt-4o", 0.0025, 0.01, true), price("anthropic", "claude-sonnet-4*", 0.003, 0.015, true)];

/** A backend keeping the user's prices over Baton's defaults, as the store does. */
function backend(initial: Price[] = []): { t: TestTransport; mine: Price[] } {
  const state = { mine: [...initial] };
  const table = () => [...state.mine, ...DEFAULTS.filter((d) => !state.mine.some((p) => samePrice(p, d)))];
  const t = createTestTransport({
    prices: table,
    set_price: (args) => {
      const p = args.price as Price;
      if (p.input_per_1k > 100) {
        throw { code: "invalid_setting", message: "the input price is per 1,000 tokens: at most 100 dollars here", field: "input_per_1k" };
      }
      state.mine = [...state.mine.filter((x) => !samePrice(x, p)), { ...p, default: false }];
      return table();
    },
    remove_price: (args) => {
      state.mine = state.mine.filter((x) => !samePrice(x, { api: args.api as string, model: args.model as string | null }));
      return table();
    },
  });
  setTransport(t);
  return {
    t,
    get mine() {
      return state.mine;
    },
  };
}

function Harness({ initial }: { initial: Price[] }) {
  const [list, setList] = useState<Price[]>(initial);
  return <PriceTable prices={{ value: list, error: null }} onSaved={setList} />;
}

const rows = () =>
  screen.getAllByTestId("price-row").map((r) => `${r.dataset.api}/${r.dataset.model || "*"}${r.dataset.default === "true" ? " (default)" : ""}`);

describe("The price table", () => {
  it("marks Baton's defaults and lists the user's rows first", () => {
    backend();
    render(<Harness initial={[...DEFAULTS, price("mistral", null, 0.001, 0.003)]} />);
    expect(rows()).toEqual(["mistral/*", "anthropic/claude-sonnet-4* (default)", "openai/gpt-4o (default)"]);
    const mistral = screen.getAllByTestId("price-row")[0]!;
    expect(mistral).toHaveTextContent("every model");
    expect(mistral).toHaveTextContent("$0.001");
    expect(within(screen.getAllByTestId("price-row")[1]!).getByTestId("price-default")).toHaveTextContent(
      "default — check your provider's current prices",
    );
    expect(within(screen.getAllByTestId("price-row")[1]!).queryByTestId("price-remove")).not.toBeInTheDocument();
  });

  it("adds a price: checked first, the backend's refusal at its field, then saved", async () => {
    const user = userEvent.setup();
    const { t } = backend();
    render(<Harness initial={DEFAULTS} />);
    await user.click(screen.getByTestId("price-add"));
    const form = screen.getByTestId("price-form");
    expect(within(form).getByTestId("price-api")).toHaveFocus();

    await user.type(within(form).getByTestId("price-api"), "mistral");
    await user.type(within(form).getByTestId("price-model"), "mistral-*-large");
    await user.type(within(form).getByTestId("price-input"), "abc");
    await user.click(within(form).getByTestId("price-save"));
    expect(within(form).getByTestId("price-model")).toHaveAttribute("aria-invalid", "true");
    expect(within(form).getByTestId("price-input")).toHaveAttribute("aria-invalid", "true");
    expect(within(form).getByTestId("price-output")).toHaveAttribute("aria-invalid", "true");
    expect(t.calls.some((c) => c.command === "set_price")).toBe(false);

    await user.clear(within(form).getByTestId("price-model"));
    await user.type(within(form).getByTestId("price-model"), "mistral-large*");
    await user.clear(within(form).getByTestId("price-input"));
    await user.type(within(form).getByTestId("price-input"), "200");
    await user.type(within(form).getByTestId("price-output"), "0.006{Enter}");
    await waitFor(() => expect(within(form).getByTestId("price-input")).toHaveAttribute("aria-invalid", "true"));
    expect(within(form).getByText("The input price is per 1,000 tokens: at most 100 dollars here")).toBeInTheDocument();

    await user.clear(within(form).getByTestId("price-input"));
    await user.type(within(form).getByTestId("price-input"), "0.002{Enter}");
    await waitFor(() => expect(screen.queryByTestId("price-form")).not.toBeInTheDocument());
    expect(t.calls.filter((c) => c.command === "set_price").at(-1)?.args).toEqual({
      price: { api: "mistral", model: "mistral-large*", input_per_1k: 0.002, output_per_1k: 0.006, default: false },
    });
    expect(rows()[0]).toBe("mistral/mistral-large*");
  });

  it("sets one's own price over a default, then removing it brings the default back (and can be undone)", async () => {
    const user = userEvent.setup();
    const { t } = backend();
    render(<Harness initial={DEFAULTS} />);
    const openai = screen.getAllByTestId("price-row").find((r) => r.dataset.api === "openai")!;
    await user.click(within(openai).getByRole("button", { name: "Set your own price for openai · gpt-4o" }));
    const form = screen.getByTestId("price-form");
    expect(within(form).getByTestId("price-api")).toHaveValue("openai");
    expect(within(form).getByTestId("price-input")).toHaveFocus();
    await user.clear(within(form).getByTestId("price-input"));
    await user.type(within(form).getByTestId("price-input"), "0.002{Enter}");
    await waitFor(() => expect(rows()).toContain("openai/gpt-4o"));
    expect(rows()).not.toContain("openai/gpt-4o (default)");

    const mine = screen.getAllByTestId("price-row").find((r) => r.dataset.api === "openai")!;
    await user.click(within(mine).getByRole("button", { name: "Remove your price for openai · gpt-4o" }));
    await waitFor(() => expect(rows()).toContain("openai/gpt-4o (default)"));
    expect(t.calls.filter((c) => c.command === "remove_price").at(-1)?.args).toEqual({ api: "openai", model: "gpt-4o" });
    const notice = screen.getByTestId("price-removed");
    expect(notice).toHaveTextContent("Removed your price for openai · gpt-4o; Baton's default applies again.");
    await waitFor(() => expect(screen.getByTestId("price-undo")).toHaveFocus());

    await user.keyboard("{Enter}");
    await waitFor(() => expect(rows()).toContain("openai/gpt-4o"));
    expect(t.calls.filter((c) => c.command === "set_price").at(-1)?.args).toEqual({
      price: { api: "openai", model: "gpt-4o", input_per_1k: 0.002, output_per_1k: 0.01, default: false },
    });
  });

  it("edits a row of the user's: its API and model stay, Escape cancels", async () => {
    const user = userEvent.setup();
    const { t } = backend([price("mistral", null, 0.001, 0.003)]);
    render(<Harness initial={[price("mistral", null, 0.001, 0.003), ...DEFAULTS]} />);
    await user.click(screen.getByRole("button", { name: "Edit the price for mistral · every model" }));
    const form = screen.getByTestId("price-form");
    expect(within(form).getByTestId("price-api")).toHaveAttribute("readonly");
    expect(within(form).getByTestId("price-model")).toHaveAttribute("readonly");
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("price-form")).not.toBeInTheDocument();
    expect(t.calls.some((c) => c.command === "set_price")).toBe(false);
  });
});
