/** A modal on the native <dialog>: focus is trapped, Escape closes, focus returns afterwards. */
import { type ReactNode, useEffect, useRef } from 'react';
import { Icon } from './Icon';

export function Dialog({
  title,
  open,
  onClose,
  children,
  footer,
  onSubmit,
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
  footer: ReactNode;
  onSubmit?: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="dialog-title"
      onClose={onClose}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      {open ? (
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            onSubmit?.();
          }}
        >
          <header className="dialog-head">
            <h2 id="dialog-title">{title}</h2>
            <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
              <Icon name="close" size={18} />
            </button>
          </header>
          <div className="dialog-body">{children}</div>
          <footer className="dialog-foot">{footer}</footer>
        </form>
      ) : null}
    </dialog>
  );
}
