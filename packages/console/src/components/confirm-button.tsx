import { useState } from 'preact/hooks';

export interface ConfirmButtonProps {
  /** The button's label, e.g. "Delete". */
  label: string;
  /** The question asked before acting, e.g. "Delete function hello?". */
  question: string;
  onConfirm: () => void | Promise<void>;
}

/** A destructive action that asks first, in place (keyboard reachable: the buttons take focus). */
export function ConfirmButton({ label, question, onConfirm }: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="danger" onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        class="danger"
        autoFocus
        onClick={() => {
          setAsking(false);
          void onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
