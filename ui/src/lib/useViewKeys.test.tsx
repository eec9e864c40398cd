import { fireEvent, render } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { useViewKeys } from "./useViewKeys";

function Keys({ onKey, whileTyping }: { onKey: (e: KeyboardEvent) => void; whileTyping?: boolean }) {
  useViewKeys(onKey, { whileTyping });
  return <input data-testid="field" />;
}

describe("useViewKeys", () => {
  it("hands a plain key to the latest handler", () => {
    const first = vi.fn();
    const second = vi.fn();
    const { rerender } = render(<Keys onKey={first} />);
    fireEvent.keyDown(window, { key: "j" });
    expect(first).toHaveBeenCalledOnce();
    rerender(<Keys onKey={second} />);
    fireEvent.keyDown(window, { key: "k" });
    expect(first).toHaveBeenCalledOnce();
    expect(second.mock.calls.map(([e]) => (e as KeyboardEvent).key)).toEqual(["k"]);
  });

  it("leaves alone a key with a modifier, one already taken, and any under a dialog", () => {
    const onKey = vi.fn();
    render(<Keys onKey={onKey} />);
    fireEvent.keyDown(window, { key: "j", ctrlKey: true });
    fireEvent.keyDown(window, { key: "j", altKey: true });
    fireEvent.keyDown(window, { key: "j", metaKey: true });
    const taken = new KeyboardEvent("keydown", { key: "j", cancelable: true });
    taken.preventDefault();
    window.dispatchEvent(taken);
    const dialog = document.createElement("div");
    dialog.setAttribute("aria-modal", "true");
    document.body.append(dialog);
    fireEvent.keyDown(document.body, { key: "j" });
    dialog.remove();
    expect(onKey).not.toHaveBeenCalled();
    fireEvent.keyDown(document.body, { key: "j" });
    expect(onKey).toHaveBeenCalledOnce();
  });

  it("leaves alone a key typed into a field, unless the handler decides that itself", () => {
    const onKey = vi.fn();
    const { getByTestId, rerender } = render(<Keys onKey={onKey} />);
    fireEvent.keyDown(getByTestId("field"), { key: "j" });
    expect(onKey).not.toHaveBeenCalled();
    rerender(<Keys onKey={onKey} whileTyping />);
    fireEvent.keyDown(getByTestId("field"), { key: "j" });
    expect(onKey).toHaveBeenCalledOnce();
  });
});
