import { useId, useState, type ReactNode, type RefObject } from "react";

import type { Declares } from "../bindings/Declares";
import type { MapAgent } from "../bindings/MapAgent";
import {
  declarationChange,
  declaresText,
  describeDeclares,
  DECLARES_LISTS,
  isBlankText,
  isEmptyDeclares,
  parseDeclares,
  parsePatterns,
  sameDeclares,
  type DeclarationChange,
  type DeclaresList,
  type DeclaresText,
} from "../lib/declares";
import { useFocusLater } from "../lib/useFocusLater";
import { sentence, withoutError } from "../lib/validation";
import { FormSection } from "./FormSection";

export const DECLARES_TEST_IDS: Record<DeclaresList, string> = {
  triggers: "agent-declares-triggers",
  reads: "agent-declares-reads",
  writes: "agent-declares-writes",
  outputs: "agent-declares-outputs",
};

const LABELS: Record<DeclaresList, { label: string; hint: string; placeholder: string }> = {
  triggers: { label: "Triggers", hint: "what it acts on", placeholder: "mail://inbox/billing" },
  reads: { label: "Reads", hint: "never a conflict", placeholder: "crm://contacts/**" },
  writes: { label: "Writes", hint: "data it changes", placeholder: "crm://contacts/*#status" },
  outputs: { label: "Outputs", hint: "where results go", placeholder: "slack://channels/billing" },
};

export type DeclaresErrors = Partial<Record<DeclaresList, string>>;

/**
 * The "Declares" section of the agent form: what the agent triggers on, reads, writes and
 * outputs to, one resource pattern per line. Collapsible; the parent owns every piece of state.
 */
export interface DeclaresFieldsProps {
  text: DeclaresText;
  errors: DeclaresErrors;
  onChange: (list: DeclaresList, value: string) => void;
  open: boolean;
  onToggle: () => void;
  /** Whose declaration this is, in a sentence. */
  status?: ReactNode;
  /** An extra action next to the status ("Use the agent's own declaration"). */
  action?: ReactNode;
  rootRef?: RefObject<HTMLElement | null>;
}

export function DeclaresFields({
  text,
  errors,
  onChange,
  open,
  onToggle,
  status,
  action,
  rootRef,
}: DeclaresFieldsProps) {
  const ids = useId();
  const hintId = `${ids}-hint`;
  const count = DECLARES_LISTS.reduce((n, l) => n + parsePatterns(text[l]).length, 0);

  return (
    <FormSection
      testId="agent-declares"
      title="Declares"
      summary={count === 0 ? "nothing yet" : `${count} pattern${count === 1 ? "" : "s"}`}
      open={open}
      onToggle={onToggle}
      rootRef={rootRef}
    >
      {status || action ? (
        <div className="declares-status" data-testid="agent-declares-source">
          {status ? <span>{status}</span> : null}
          {action}
        </div>
      ) : null}
      <p className="field-hint" id={hintId}>
        One pattern per line, e.g. <code>crm://contacts/*#status</code>. <code>*</code> matches one
        segment, <code>**</code> any number of them, <code>#field</code> one field of a record.
      </p>
      <div className="declares-grid">
        {DECLARES_LISTS.map((list) => {
          const error = errors[list];
          const inputId = `${ids}-${list}`;
          const errorId = error ? `${inputId}-error` : undefined;
          const { label, hint, placeholder } = LABELS[list];
          return (
            <div key={list} className={`field ${error ? "field--invalid" : ""}`}>
              <label htmlFor={inputId}>
                {label} <span className="declares-label-hint">{hint}</span>
              </label>
              <textarea
                id={inputId}
                name={`declares-${list}`}
                className="mono"
                data-testid={DECLARES_TEST_IDS[list]}
                value={text[list]}
                rows={2}
                placeholder={placeholder}
                onChange={(e) => onChange(list, e.target.value)}
                aria-invalid={error ? true : undefined}
                aria-describedby={[errorId, hintId].filter(Boolean).join(" ")}
                spellCheck={false}
                autoComplete="off"
              />
              {error ? (
                <p className="field-error" id={errorId} role="alert">
                  {sentence(error)}
                </p>
              ) : null}
            </div>
          );
        })}
      </div>
    </FormSection>
  );
}

/** The declaration in force for an agent on the map: null when it declares nothing. */
function storedOf(declared: MapAgent | null): Declares | null {
  return declared?.source ? declared.declares : null;
}

/**
 * The state behind the Declares section of the agent form. `declared` is the agent's entry on
 * the ownership map (null for a new agent): its declaration fills the fields until the user
 * touches them.
 */
export function useDeclares(declared: MapAgent | null) {
  // `baseline`: the map entry the text started from; until the user touches the text, a newer
  // entry (the map reloaded) replaces it.
  const [baseline, setBaseline] = useState<MapAgent | null>(declared);
  const [text, setText] = useState<DeclaresText>(() => declaresText(storedOf(declared)));
  const [touched, setTouched] = useState(false);
  const [open, setOpen] = useState(() => {
    const stored = storedOf(declared);
    return stored !== null && !isEmptyDeclares(stored);
  });
  const [errors, setErrors] = useState<DeclaresErrors>({});
  const [useAgents, setUseAgents] = useState(false);
  if (declared !== baseline && !touched) {
    setBaseline(declared);
    const stored = storedOf(declared);
    setText(declaresText(stored));
    if (stored !== null && !isEmptyDeclares(stored)) setOpen(true);
  }

  // A textarea to focus once it is on screen (the section may have been closed).
  const { rootRef, focusLater } = useFocusLater();

  const onChange = (list: DeclaresList, value: string) => {
    setText((t) => ({ ...t, [list]: value }));
    setTouched(true);
    setUseAgents(false);
    setErrors((e) => withoutError(e, list));
  };

  /** Fills the fields; `agents`: going back to the agent's own declaration on save. */
  const fill = (declares: Declares, agents = false) => {
    setText(declaresText(declares));
    setTouched(true);
    setUseAgents(agents);
    setErrors({});
    setOpen(true);
  };

  const own = baseline?.agent_declares ?? null;
  let status: string | null = null;
  if (useAgents) {
    status = "Saving goes back to what the agent itself declares.";
  } else if (baseline?.source === "agent") {
    status = sameDeclares(parseDeclares(text), baseline.declares)
      ? "Declared by the agent."
      : "Declared by the agent. Saving replaces it with what is typed here.";
  } else if (baseline?.source === "user") {
    status = own ? "Typed in Baton, in place of what the agent declares." : "Typed in Baton.";
  }
  const action =
    baseline?.source === "user" && own ? (
      <button
        type="button"
        className="button button--small button--ghost"
        data-testid="agent-declares-use-own"
        onClick={() => (useAgents ? fill(baseline.declares) : fill(own, true))}
      >
        {useAgents ? "Keep the one typed in Baton" : "Use the agent's own declaration"}
      </button>
    ) : null;

  const fields: DeclaresFieldsProps = {
    text,
    errors,
    onChange,
    open,
    onToggle: () => setOpen((o) => !o),
    status,
    action,
    rootRef,
  };

  return {
    fields,
    fill,
    /** What saving does with the declaration, given what is typed now. */
    change: (): DeclarationChange => declarationChange(parseDeclares(text), storedOf(baseline), useAgents),
    /** Shows a backend error under its textarea and focuses it. */
    fail: (list: DeclaresList, message: string) => {
      setErrors({ [list]: message });
      setOpen(true);
      focusLater(DECLARES_TEST_IDS[list]);
    },
    /** What the agent said about itself when tested, worth offering while nothing is typed. */
    offer: (tested: Declares | null | undefined): Declares | null =>
      tested && !isEmptyDeclares(tested) && isBlankText(text) ? tested : null,
  };
}

/** "The agent declares: …" after Test connection, with a button that copies it into the fields. */
export function DeclaresOffer({ declares, onUse }: { declares: Declares; onUse: () => void }) {
  return (
    <div className="declares-offer" data-testid="agent-declares-offer">
      <span>
        The agent declares: <span className="mono">{describeDeclares(declares)}</span>
      </span>
      <button type="button" className="button button--small" data-testid="use-agent-declares" onClick={onUse}>
        Use its declaration
      </button>
    </div>
  );
}
