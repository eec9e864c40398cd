import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { agentRow, health, presence, sessionSummary, storeOverview } from "../test/fixtures";
import { Nav } from "./Nav";

describe("the nav's fleet line", () => {
  it("counts coding sessions apart from the polled agents' health", () => {
    const session = sessionSummary({
      session_id: "4f1c2a9e-0b7d",
      repo_root: "/r",
      repository: null,
      repository_name: null,
      branch: null,
    });
    const agents = [
      agentRow(1, "researcher"),
      agentRow(2, "writer", { health: health({ reachability: "down" }) }),
      agentRow(3, "shop·1", { session }),
      agentRow(4, "shop·2", { session }),
    ];
    render(<Nav view="agents" onNavigate={() => {}} agents={agents} badges={{}} />);
    const fleet = screen.getByLabelText("Fleet health").textContent ?? "";
    expect(fleet).toContain("1 up");
    expect(fleet).toContain("1 down");
    expect(screen.getByTestId("fleet-sessions").textContent).toBe("2 coding sessions");
  });
});

describe("the nav's store line", () => {
  it("says who the app acts as, that it only views, and who polls", () => {
    render(
      <Nav
        view="board"
        onNavigate={() => {}}
        agents={[]}
        badges={{}}
        store={storeOverview({ engine: "postgres", location: "postgres://ana@db.example.org/baton" })}
        presence={presence()}
        onOpenStore={() => {}}
      />,
    );
    expect(screen.getByTestId("store-line")).toHaveTextContent("PostgreSQL");
    expect(screen.getByTestId("presence-who")).toHaveTextContent("ana on laptop-a");
    expect(screen.getByTestId("presence-mode")).toHaveTextContent("Viewing only");
    expect(screen.getByTestId("presence-pollers")).toHaveTextContent("Polled by build-box (2)");
  });
});
