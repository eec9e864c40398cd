import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { setTransport } from "../lib/backend";
import { createTestTransport } from "../test/transport";
import { ScenarioPicker } from "./ScenarioPicker";

const scenarios = [
  { name: "write-collision", description: "Two writers on one draft." },
  { name: "needs-approval", description: "An agent asks first." },
];

describe("ScenarioPicker", () => {
  it("runs the chosen scenario and says which agents it added", async () => {
    const t = createTestTransport({
      scenarios: () => scenarios,
      start_scenario: (args) =>
        args.name === "needs-approval" ? [{ name: "Publisher (demo)" }, { name: "Editor (demo)" }] : [],
    });
    setTransport(t);
    render(<ScenarioPicker />);
    const select = await screen.findByTestId("scenario-select");
    await userEvent.selectOptions(select, "needs-approval");
    await userEvent.click(screen.getByTestId("scenario-run"));
    expect(await screen.findByTestId("scenario-message")).toHaveTextContent(
      "Running needs-approval: Publisher (demo), Editor (demo).",
    );
    expect(t.calls.find((c) => c.command === "start_scenario")?.args).toEqual({ name: "needs-approval" });
  });

  it("shows why a scenario could not start", async () => {
    setTransport(
      createTestTransport({
        scenarios: () => scenarios,
        start_scenario: () => {
          throw { code: "demo", message: "no free port", field: null };
        },
      }),
    );
    render(<ScenarioPicker />);
    await userEvent.click(await screen.findByTestId("scenario-run"));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not start write-collision: no free port");
  });

  it("stays out of the way when the list cannot be had", async () => {
    setTransport(createTestTransport({}));
    const { container } = render(<ScenarioPicker />);
    await new Promise((r) => setTimeout(r, 10));
    expect(container).toBeEmptyDOMElement();
  });
});
