// Why a form or dialog could not do what was asked, announced as an alert; nothing when all is well.

import { sentence as asSentence } from "../lib/validation";

export function FormError({
  error,
  testId,
  sentence = false,
}: {
  error: string | null;
  testId?: string;
  /** The error is a backend message: start it with a capital ("name is taken" → "Name is taken"). */
  sentence?: boolean;
}) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert" data-testid={testId}>
      {sentence ? asSentence(error) : error}
    </p>
  );
}
