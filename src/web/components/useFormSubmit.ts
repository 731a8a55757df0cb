import { useState } from 'react';
import type { ApiError } from '../api/http';
import { asApiError } from '../lib/hooks';
import { apiFieldErrors, type FieldErrors, hasErrors } from '../lib/validation';

/**
 * A form's submit cycle: show the fields' errors found in the page, and when
 * there are none, run the request with the submit button busy; the API's
 * refusal shows as its message and hint plus the errors of its fields.
 */
export function useFormSubmit() {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [apiError, setApiError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  const submit = async (found: FieldErrors, request: () => Promise<void>): Promise<void> => {
    setErrors(found);
    setApiError(undefined);
    if (hasErrors(found)) return;
    setBusy(true);
    try {
      await request();
    } catch (caught) {
      const error = asApiError(caught);
      setApiError(error);
      setErrors(apiFieldErrors(error));
    } finally {
      setBusy(false);
    }
  };

  return { errors, setErrors, apiError, busy, submit };
}
