// A labelled input with its rule or error written under it, tied to it for screen readers
// (aria-describedby) and marked invalid (aria-invalid) once the rule is broken: validation shows
// while typing, not only after submitting.
import { useId, type ReactNode } from 'react';
import './Field.css';

export interface FieldInputProps {
  'aria-describedby'?: string;
  'aria-invalid'?: true;
}

export function Field({
  label,
  optional,
  rule,
  bad,
  children,
}: {
  label: string;
  optional?: boolean;
  /** What the value must be, or what is wrong with it when `bad` (shown under the input). */
  rule?: ReactNode;
  bad?: boolean | undefined;
  /** The input, given the attributes that tie it to the rule. */
  children: (input: FieldInputProps) => ReactNode;
}) {
  const ruleId = useId();
  return (
    <div className="field">
      <label>
        <span className="field-label">
          {label}
          {optional && <span className="hint"> (optional)</span>}
        </span>
        {children({
          ...(rule ? { 'aria-describedby': ruleId } : {}),
          ...(bad ? { 'aria-invalid': true as const } : {}),
        })}
      </label>
      {rule && (
        <p id={ruleId} className={bad ? 'field-rule bad' : 'field-rule'}>
          {rule}
        </p>
      )}
    </div>
  );
}
