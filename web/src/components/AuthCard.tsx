import { A } from "@solidjs/router";
import { Show, type JSX } from "solid-js";
import { Icon } from "./Icon";

/** The frame shared by sign-in and registration: brand, title, form-level error, footer link. */
export function AuthCard(props: {
  title: string;
  subtitle: string;
  error?: string | undefined;
  footer: { text: string; linkText: string; href: string };
  children: JSX.Element;
}) {
  return (
    <main class="auth-screen">
      <div class="auth-card">
        <div class="brand brand--large">
          <span class="brand__mark" aria-hidden="true">
            T
          </span>
          <span>TaskPilot</span>
        </div>
        <h1>{props.title}</h1>
        <p class="muted">{props.subtitle}</p>
        <Show when={props.error}>
          <div class="alert" role="alert">
            <Icon name="alert" />
            <span>{props.error}</span>
          </div>
        </Show>
        {props.children}
        <p class="auth-card__footer">
          {props.footer.text} <A href={props.footer.href}>{props.footer.linkText}</A>
        </p>
      </div>
    </main>
  );
}
