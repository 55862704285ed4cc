import { createSignal } from "solid-js";
import { ApiError, errorMessage } from "../lib/api";

/**
 * Submission state for a form that posts to the API: a busy flag, a form-level
 * message, and the server's field errors keyed by field name.
 */
export function useSubmit() {
  const [busy, setBusy] = createSignal(false);
  const [formError, setFormError] = createSignal<string>();
  const [fieldErrors, setFieldErrors] = createSignal<Record<string, string>>({});

  async function run(action: () => Promise<void>) {
    if (busy()) return;
    setBusy(true);
    setFormError(undefined);
    setFieldErrors({});
    try {
      await action();
    } catch (e) {
      const fields = e instanceof ApiError ? e.fieldErrors : {};
      setFieldErrors(fields);
      // When every problem is shown next to a field, the banner stays quiet.
      if (Object.keys(fields).length === 0 || fields["(body)"]) setFormError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return { busy, formError, fieldError: (name: string) => fieldErrors()[name], fieldErrors, run };
}
