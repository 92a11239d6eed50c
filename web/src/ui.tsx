// Small building blocks the screens share: notices, buttons that show they are busy, the
// confirmation dialog, thumbnails that renew their signed URL, status badges.

import type { ButtonHTMLAttributes, ComponentChildren } from 'preact';
import { useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Problem } from './errors';
import type { VideoPromptStatus } from './gql/graphql';

export function ProblemNotice({ problem, onDismiss }: { problem: Problem | null; onDismiss?: () => void }) {
  if (!problem) return null;
  return (
    <div class="notice notice-error" role="alert">
      <p>{problem.message}</p>
      {(problem.action || onDismiss) && (
        <p class="notice-actions">
          {problem.action &&
            (problem.action.href === 'reload' ? (
              <button type="button" class="button-link" onClick={() => location.reload()}>
                {problem.action.label}
              </button>
            ) : (
              <a href={problem.action.href}>{problem.action.label}</a>
            ))}
          {onDismiss && (
            <button type="button" class="button-link" onClick={onDismiss}>
              Schließen
            </button>
          )}
        </p>
      )}
    </div>
  );
}

export function InfoNotice({ children }: { children: ComponentChildren }) {
  return (
    <div class="notice notice-info" role="status">
      {children}
    </div>
  );
}

type ButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type'> & {
  busy?: boolean;
  busyLabel?: string;
  variant?: 'primary' | 'secondary' | 'danger';
  type?: 'button' | 'submit';
  disabled?: boolean;
};

/** A button that stays readable while its request runs: its label says so and it is marked
 * busy, instead of looking frozen. */
export function Button({ busy, busyLabel, variant = 'secondary', children, disabled, type = 'button', ...rest }: ButtonProps) {
  return (
    <button
      {...rest}
      type={type}
      class={`button button-${variant}${busy ? ' is-busy' : ''}`}
      aria-busy={busy ? 'true' : undefined}
      aria-disabled={busy || disabled ? 'true' : undefined}
      disabled={disabled}
      onClick={(event) => {
        if (busy) {
          event.preventDefault();
          return;
        }
        rest.onClick?.(event as never);
      }}
    >
      {busy && <span class="spinner" aria-hidden="true" />}
      {busy && busyLabel ? busyLabel : children}
    </button>
  );
}

/** Asks before something is deleted, naming what goes with it. A native <dialog>: it keeps the
 * focus inside, Escape closes it, and the focus returns to the button that opened it. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  busyLabel = 'Wird gelöscht …',
  busy,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  busyLabel?: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  // Each dialog's own id: a screen has several (one per image card), and a shared id would name
  // them all after the first.
  const titleId = useId();
  // At once, not after the next paint: closing gives the focus back to the opener, and a screen
  // whose opener goes with the deletion moves the focus on right after that.
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div class="dialog-body">{children}</div>
      <div class="dialog-actions">
        <Button onClick={onCancel}>Abbrechen</Button>
        <Button variant="danger" busy={busy} busyLabel={busyLabel} onClick={onConfirm}>
          {confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}

/** An image from its signed, expiring URL. When it fails to load, `onExpired` fetches a fresh
 * URL (the signed one may have expired); until a new URL comes, and for good if none does or it
 * fails too (a HEIC photo, which most browsers cannot show), a plain "Keine Vorschau" box stands
 * where the image would be, never the browser's broken-image icon. */
export function Thumb({
  src,
  alt,
  width,
  height,
  onExpired,
  class: className,
}: {
  src: string;
  alt: string;
  width?: number | null;
  height?: number | null;
  onExpired?: () => void;
  class?: string;
}) {
  const [failed, setFailed] = useState<string | null>(null);
  // Fresh URLs asked for since the last image that loaded: an image that cannot be shown at all
  // must not ask for new URLs for ever.
  const renewals = useRef(0);
  if (failed === src) {
    // The large view keeps the picture's proportions (the small ones have their own).
    const ratio = width && height ? { '--ratio': `${width} / ${height}` } : undefined;
    return (
      <span
        class={`${className ?? 'thumb'} thumb-missing`}
        style={ratio}
        role={alt ? 'img' : undefined}
        aria-label={alt ? `${alt} (keine Vorschau möglich)` : undefined}
        aria-hidden={alt ? undefined : 'true'}
      >
        Keine Vorschau
      </span>
    );
  }
  return (
    <img
      class={className ?? 'thumb'}
      src={src}
      alt={alt}
      width={width ?? undefined}
      height={height ?? undefined}
      loading="lazy"
      decoding="async"
      onLoad={() => {
        renewals.current = 0;
      }}
      onError={() => {
        setFailed(src);
        if (renewals.current < 2) {
          renewals.current += 1;
          onExpired?.();
        }
      }}
    />
  );
}

export const STATUS_LABEL: Record<VideoPromptStatus, string> = {
  PENDING: 'Wartet',
  PROCESSING: 'Läuft',
  COMPLETED: 'Fertig',
  FAILED: 'Fehlgeschlagen',
  CANCELLED: 'Abgebrochen',
};

export function StatusBadge({ status }: { status: VideoPromptStatus }) {
  return <span class={`badge badge-${status.toLowerCase()}`}>{STATUS_LABEL[status]}</span>;
}

/** How far a record has come: a finished state never goes back to a running one, so a late
 * answer read before a change cannot undo what an event already showed. */
export function progressOf(status: string): number {
  return status === 'PENDING' ? 0 : status === 'PROCESSING' ? 1 : 2;
}

export function isRunning(status: VideoPromptStatus): boolean {
  return status === 'PENDING' || status === 'PROCESSING';
}

export function Loading({ label = 'Wird geladen …' }: { label?: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

/** A unique id for the idempotency key of a request (crypto.randomUUID needs a secure
 * context; getRandomValues does not). */
export function newKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
