import { Toast, toaster } from "@kobalte/core/toast";

export interface Notice {
  kind: "success" | "error";
  text: string;
  /** Lets a test or a page find its own notice. */
  testId?: string;
}

/**
 * A short message about something the person just did. Errors interrupt
 * (assertive) and stay until dismissed; successes are announced politely
 * and leave by themselves, pausing while hovered or focused.
 */
export function showNotice(notice: Notice): number {
  const error = notice.kind === "error";
  return toaster.show((props) => (
    <Toast
      toastId={props.toastId}
      class={`toast toast--${notice.kind}`}
      priority={error ? "high" : "low"}
      persistent={error}
      duration={10_000}
      role={error ? "alert" : "status"}
      data-testid={notice.testId}
    >
      <Toast.Description class="toast__text">{notice.text}</Toast.Description>
      <Toast.CloseButton class="toast__close" aria-label="Dismiss">
        ×
      </Toast.CloseButton>
    </Toast>
  ));
}

export function clearNotices(): void {
  toaster.clear();
}

/** Where notices appear; Alt+T (the region's hotkey) moves focus there. */
export function NoticeRegion() {
  return (
    <Toast.Region class="toast-region" aria-label="Notifications (Alt+T)" limit={3} swipeDirection="right">
      <Toast.List class="toast-list" />
    </Toast.Region>
  );
}
