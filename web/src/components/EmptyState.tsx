import type { JSX } from "solid-js";
import { Icon, type IconName } from "./Icon";

export function EmptyState(props: { icon: IconName; title: string; children: JSX.Element }) {
  return (
    <section class="empty-state">
      <div class="empty-state__icon">
        <Icon name={props.icon} size={28} />
      </div>
      <h2>{props.title}</h2>
      <div class="empty-state__body">{props.children}</div>
    </section>
  );
}

export function PageHeader(props: { title: string; subtitle: string; children?: JSX.Element }) {
  return (
    <header class="page-header">
      <h1>{props.title}</h1>
      <p class="muted">{props.subtitle}</p>
      {props.children}
    </header>
  );
}
