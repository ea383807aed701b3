/** A form's error, announced to screen readers; nothing when there is none. */
export function FormError({ error }: { error: string | undefined | null }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
}
