import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { RouteView } from "../bindings/RouteView";
import { setTransport } from "../lib/backend";
import { RightsProvider } from "../lib/rights";
import { createTestTransport } from "../test/transport";
import { NotificationsDialog, routeWhere } from "./NotificationsDialog";

const phone: RouteView = {
  id: 1,
  name: "phone",
  kind: "ntfy",
  person: "ana",
  server: "https://ntfy.sh",
  topic: "baton-3f9c",
  reply_topic: "baton-7a21",
  url: null,
  shape: null,
  token: "keyring:dev.baton.app/route-phone",
  items_sent: 3,
  failing: 1,
  last_error: "HTTP 401: the server wants an access token, or the route's token is wrong",
  policy: {
    approvals: "now",
    critical: "now",
    limits: "now",
    silent: "now",
    warnings: "digest",
    notes: "never",
    digest_minutes: 30,
    quiet_hours: null,
    critical_in_quiet: true,
    storm_items: 5,
  },
  click: "https://baton.example/items/{item}",
  reply_failures: 2,
  reply_error: "HTTP 503: service unavailable",
  failing_words:
    "sending fails for 1 item(s): HTTP 401: the server wants an access token, or the route's token is wrong; " +
    "its reply topic cannot be read (2 attempt(s) in a row): HTTP 503: service unavailable",
};

describe("NotificationsDialog", () => {
  it("lists each route with where it sends, where its token is kept and how its sends went", async () => {
    setTransport(createTestTransport({ notify_routes: () => [phone] }));
    render(<NotificationsDialog onClose={() => {}} />);
    const row = await screen.findByTestId("route-phone");
    expect(row).toHaveTextContent("phone · ana · ntfy https://ntfy.sh/baton-3f9c; answers on baton-7a21");
    expect(row).toHaveTextContent("token from keyring:dev.baton.app/route-phone");
    expect(row).toHaveTextContent("a tap opens https://baton.example/items/{item}");
    expect(row).toHaveTextContent("3 items sent");
    expect(screen.getByTestId("route-failing-phone")).toHaveTextContent(
      "failing: sending fails for 1 item(s): HTTP 401: the server wants an access token, or the route's token is wrong; " +
        "its reply topic cannot be read (2 attempt(s) in a row): HTTP 503",
    );
    expect(routeWhere({ ...phone, kind: "webhook", url: "https://hooks.example.org/x", shape: "slack" })).toBe(
      "webhook https://hooks.example.org/x (slack)",
    );
  });

  it("adds a route with its token apart, and shows a refusal in words", async () => {
    const routes: RouteView[] = [];
    const t = createTestTransport({
      notify_routes: () => routes,
      add_route: (args) => {
        const { route } = args as { route: { name: string } };
        if (route.name === "taken") throw { code: "duplicate_name", message: 'a route named "taken" already exists', field: "name" };
        routes.push({ ...phone, name: route.name });
        return routes[routes.length - 1];
      },
    });
    setTransport(t);
    const user = userEvent.setup();
    render(<NotificationsDialog onClose={() => {}} />);
    expect(await screen.findByTestId("routes-empty")).toBeInTheDocument();
    await user.click(screen.getByTestId("route-add"));
    expect(screen.getByText("A route needs a name")).toBeInTheDocument();
    await user.type(screen.getByTestId("route-name"), "phone");
    await user.type(screen.getByTestId("route-token"), "tk_secret");
    await user.type(screen.getByTestId("route-click"), "https://baton.example/items/{{item}");
    await user.click(screen.getByTestId("route-add"));
    expect(await screen.findByTestId("route-phone")).toBeInTheDocument();
    const added = t.calls.find((c) => c.command === "add_route")?.args;
    expect(added).toEqual({
      route: {
        name: "phone",
        kind: "ntfy",
        person: undefined,
        server: "https://ntfy.sh",
        url: undefined,
        shape: undefined,
        click: "https://baton.example/items/{item}",
      },
      token: "tk_secret",
    });
    await user.type(screen.getByTestId("route-name"), "taken");
    await user.click(screen.getByTestId("route-add"));
    expect(await screen.findByText(/route named "taken" already exists/)).toBeInTheDocument();
  });

  it("adds a route with what it sends: the defaults left out, a change sent, a bad count refused", async () => {
    const routes: RouteView[] = [];
    const t = createTestTransport({
      notify_routes: () => routes,
      default_route_policy: () => phone.policy,
      add_route: (args) => {
        const { route } = args as { route: { name: string; kind: string } };
        routes.push({ ...phone, id: routes.length + 1, name: route.name, kind: route.kind });
        return routes[routes.length - 1];
      },
    });
    setTransport(t);
    const user = userEvent.setup();
    render(<NotificationsDialog onClose={() => {}} />);
    const sends = await screen.findByTestId("route-add-policy");
    expect(sends).toHaveTextContent("What it sends: warnings in the digest, notes never · digest every 30 min");
    await user.type(screen.getByTestId("route-name"), "laptop");
    await user.selectOptions(screen.getByTestId("route-kind"), "desktop");
    // Nothing goes to the desktop as a digest or a storm: no such fields, no such words.
    expect(sends).toHaveTextContent("What it sends: warnings in the app only, notes never");
    expect(sends).not.toHaveTextContent("digest every");
    expect(within(sends).queryByTestId("policy-storm-items")).toBeNull();
    expect(within(sends).getByTestId("policy-warnings")).toHaveDisplayValue("in the app only");
    await user.click(screen.getByTestId("route-add"));
    await screen.findByTestId("route-laptop");
    const plain = t.calls.find((c) => c.command === "add_route")?.args as { route: Record<string, unknown> };
    expect(plain.route).not.toHaveProperty("policy");

    await user.type(screen.getByTestId("route-name"), "pager");
    await user.click(within(sends).getByText(/What it sends/));
    await user.selectOptions(within(sends).getByTestId("policy-warnings"), "now");
    await user.clear(within(sends).getByTestId("policy-storm-items"));
    await user.type(within(sends).getByTestId("policy-storm-items"), "many");
    await user.click(screen.getByTestId("route-add"));
    expect(screen.getByText("The digest's period and the storm's count are whole numbers")).toBeInTheDocument();
    expect(t.calls.filter((c) => c.command === "add_route")).toHaveLength(1);
    await user.clear(within(sends).getByTestId("policy-storm-items"));
    await user.type(within(sends).getByTestId("policy-storm-items"), "0");
    await user.click(screen.getByTestId("route-add"));
    await screen.findByTestId("route-pager");
    const changed = t.calls.filter((c) => c.command === "add_route").at(-1)?.args as { route: Record<string, unknown> };
    expect(changed.route.policy).toEqual({ ...phone.policy, warnings: "now", storm_items: 0 });
    // The form starts again from the defaults.
    expect(within(sends).getByTestId("policy-warnings")).toHaveValue("digest");
  });

  it("tests a route and says what failed; a viewer may not add or remove", async () => {
    setTransport(
      createTestTransport({
        notify_routes: () => [phone],
        test_route: () => {
          throw { code: "route_failed", message: "the server's name was not found (DNS)", field: null };
        },
      }),
    );
    const user = userEvent.setup();
    render(
      <RightsProvider value={{ cannotChange: "a viewer changes nothing", cannotRunFleets: null }}>
        <NotificationsDialog onClose={() => {}} />
      </RightsProvider>,
    );
    await user.click(await screen.findByTestId("route-test-phone"));
    expect(await screen.findByTestId("route-tested")).toHaveTextContent("the server's name was not found (DNS)");
    expect(screen.getByTestId("route-remove-phone")).toBeDisabled();
    expect(screen.getByTestId("route-edit-phone")).toBeDisabled();
    expect(screen.getByTestId("route-add")).toBeDisabled();
    expect(screen.getByTestId("route-add")).toHaveAttribute("title", "a viewer changes nothing");
  });

  it("shows what each route sends and changes it: per class, the digest, quiet hours, storms", async () => {
    let routes: RouteView[] = [phone];
    const t = createTestTransport({
      notify_routes: () => routes,
      set_route_policy: (args) => {
        const { policy } = args as { policy: RouteView["policy"] };
        if (policy.quiet_hours === "late") throw { code: "invalid_route", message: '"late" is not quiet hours: HH:MM-HH:MM', field: null };
        routes = [{ ...phone, policy }];
        return routes[0];
      },
    });
    setTransport(t);
    const user = userEvent.setup();
    render(<NotificationsDialog onClose={() => {}} />);
    const sends = await screen.findByTestId("route-sends-phone");
    expect(sends).toHaveTextContent("warnings in the digest, notes never · digest every 30 min · over 5 new in 10 min: one message");
    await user.click(screen.getByTestId("route-edit-phone"));
    const form = screen.getByTestId("route-policy-phone");
    expect(screen.getByTestId("policy-approvals")).toHaveValue("now");
    await user.selectOptions(screen.getByTestId("policy-warnings"), "now");
    await user.selectOptions(screen.getByTestId("policy-silent"), "digest");
    await user.clear(screen.getByTestId("policy-digest-minutes"));
    await user.type(screen.getByTestId("policy-digest-minutes"), "an hour");
    await user.click(screen.getByTestId("policy-save"));
    expect(screen.getByText("The digest's period and the storm's count are whole numbers")).toBeInTheDocument();
    await user.clear(screen.getByTestId("policy-digest-minutes"));
    await user.type(screen.getByTestId("policy-digest-minutes"), "60");
    await user.type(screen.getByTestId("policy-quiet-hours"), "late");
    await user.click(screen.getByTestId("policy-critical-in-quiet"));
    await user.clear(screen.getByTestId("policy-storm-items"));
    await user.type(screen.getByTestId("policy-storm-items"), "0");
    await user.click(screen.getByTestId("policy-save"));
    expect(await screen.findByText(/"late" is not quiet hours/)).toBeInTheDocument();
    expect(form).toBeInTheDocument();
    await user.clear(screen.getByTestId("policy-quiet-hours"));
    await user.type(screen.getByTestId("policy-quiet-hours"), "22:00-07:00");
    await user.click(screen.getByTestId("policy-save"));
    expect(await screen.findByTestId("route-sends-phone")).toHaveTextContent(
      "· agents gone silent in the digest, notes never · digest every 60 min · quiet 22:00-07:00 · no storm messages",
    );
    expect(screen.queryByTestId("route-policy-phone")).not.toBeInTheDocument();
    const saved = t.calls.filter((c) => c.command === "set_route_policy").at(-1)?.args;
    expect(saved).toEqual({
      name: "phone",
      policy: { ...phone.policy, warnings: "now", silent: "digest", digest_minutes: 60, quiet_hours: "22:00-07:00", critical_in_quiet: false, storm_items: 0 },
    });
  });
});
