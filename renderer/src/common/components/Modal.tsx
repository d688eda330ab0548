import { useEffect, useRef, useSyncExternalStore, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';

/** The open modal dialogs, innermost last: notices render into the innermost so they stay above it and usable. */
const openDialogs: HTMLDialogElement[] = [];
const dialogListeners = new Set<() => void>();
function dialogsChanged(): void {
  for (const l of dialogListeners) l();
}

/** The innermost open modal dialog, or null: where content that must stay above every modal (notices) belongs. */
export function useTopModal(): HTMLDialogElement | null {
  return useSyncExternalStore(
    (listener) => {
      dialogListeners.add(listener);
      return () => dialogListeners.delete(listener);
    },
    () => openDialogs[openDialogs.length - 1] ?? null,
  );
}

/**
 * A modal layer (dialog or side drawer) on the platform's <dialog>.showModal(): the page behind
 * is inert and Tab stays inside. It focuses its [data-autofocus] element (else itself), closes on
 * Esc and on a click beside it, and gives focus back to where it came from when it goes away.
 */
export function Modal({
  label,
  onClose,
  variant,
  children,
  className,
}: {
  label: string;
  onClose: () => void;
  variant: 'dialog' | 'drawer';
  children: ReactNode;
  className?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const previous = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    (dialog.querySelector<HTMLElement>('[data-autofocus]') ?? dialog).focus();
    openDialogs.push(dialog);
    dialogsChanged();
    return () => {
      openDialogs.splice(openDialogs.indexOf(dialog), 1);
      dialogsChanged();
      if (dialog.open) dialog.close();
      if (previous && document.contains(previous)) previous.focus();
    };
  }, []);

  // Esc inside the dialog: the parent decides (it unmounts us); the page's own keys never see it.
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    e.stopPropagation();
    e.preventDefault();
    onClose();
  };

  // A click on the backdrop lands on the <dialog> itself, outside its box.
  const onMouseDown = (e: MouseEvent<HTMLDialogElement>) => {
    if (e.target !== e.currentTarget) return;
    const r = e.currentTarget.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) onClose();
  };

  return (
    <dialog
      ref={ref}
      className={`modal modal--${variant}${className ? ` ${className}` : ''}`}
      aria-label={label}
      tabIndex={-1}
      onKeyDown={onKeyDown}
      onMouseDown={onMouseDown}
      // Esc while focus is outside the dialog, or the platform's close request: still the parent's call.
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {children}
    </dialog>
  );
}
