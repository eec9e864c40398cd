// Whether a key press belongs to a field the person is typing in (an input, a text area, a
// select or an editable element): the views' single-key shortcuts stay out of the way then.
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable === true;
}
