import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { Loaded } from "../lib/usePipelineData";
import { LoadState } from "./LoadState";

function show(loaded: Loaded<string[]>, onRetry?: () => void) {
  return render(
    <LoadState
      loaded={loaded}
      what="the things"
      loading="Loading things…"
      errorTestId="things-error"
      onRetry={onRetry}
      empty={(loaded.value ?? []).length === 0}
      emptyText="No things."
    >
      <ul data-testid="things">{loaded.value?.map((t) => <li key={t}>{t}</li>)}</ul>
    </LoadState>,
  );
}

describe("LoadState", () => {
  it("says it is loading until the first load", () => {
    show({ value: null, error: null });
    expect(screen.getByRole("status")).toHaveTextContent("Loading things…");
    expect(screen.queryByTestId("things")).not.toBeInTheDocument();
  });

  it("says the first load failed, with Retry only when the section can reload", async () => {
    const onRetry = vi.fn();
    const { unmount } = show({ value: null, error: "database is locked" }, onRetry);
    expect(screen.getByTestId("things-error")).toHaveTextContent("Could not load the things: database is locked");
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole("button", { name: "Retry" }));
    expect(onRetry).toHaveBeenCalledOnce();
    unmount();

    show({ value: null, error: "database is locked" });
    expect(screen.getByTestId("things-error")).toHaveTextContent(/^Could not load the things: database is locked$/);
    expect(screen.queryByRole("button")).not.toBeInTheDocument();
  });

  it("keeps the list when a refresh fails", () => {
    show({ value: ["a"], error: "gone" });
    expect(screen.getByTestId("things-error")).toHaveTextContent("Could not refresh the things: gone");
    expect(screen.getByTestId("things")).toHaveTextContent("a");
  });

  it("says when there is nothing to show", () => {
    show({ value: [], error: null });
    expect(screen.getByText("No things.")).toBeInTheDocument();
    expect(screen.queryByTestId("things")).not.toBeInTheDocument();
  });
});
