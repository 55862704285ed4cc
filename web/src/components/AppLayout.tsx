import { A, type RouteSectionProps } from "@solidjs/router";
import { QueryClientProvider } from "@tanstack/solid-query";
import { For, onCleanup, onMount } from "solid-js";
import { createAppQueryClient } from "../lib/query";
import { EventsContext, createEventsStore } from "../stores/events";
import { invalidateOnEvents } from "../stores/server-state";
import { ConnectionIndicator } from "./ConnectionIndicator";
import { Icon, type IconName } from "./Icon";
import { NoticeRegion, clearNotices } from "./Notice";
import { UserMenu } from "./UserMenu";

const NAV: { href: string; label: string; icon: IconName }[] = [
  { href: "/chat", label: "Chat", icon: "chat" },
  { href: "/integrations", label: "Integrations", icon: "plug" },
  { href: "/knowledge", label: "Knowledge", icon: "book" },
  { href: "/templates", label: "Templates", icon: "template" },
  { href: "/projects", label: "Projects", icon: "folder" },
  { href: "/apps", label: "Apps", icon: "grid" },
];

export function AppLayout(props: RouteSectionProps) {
  // The layout exists only while signed in: the realtime connection and the
  // query cache live exactly as long as the session, so the next account
  // signed in on this tab never sees the last one's data.
  const queryClient = createAppQueryClient();
  const events = createEventsStore();
  const stopInvalidating = invalidateOnEvents(queryClient, events);
  onMount(() => events.start());
  onCleanup(() => {
    stopInvalidating();
    events.stop();
    queryClient.clear();
    clearNotices();
  });
  return (
    <QueryClientProvider client={queryClient}>
      <EventsContext.Provider value={events}>
        <div class="shell">
          <a class="skip-link" href="#main">
            Skip to content
          </a>
          <aside class="sidebar">
            <A href="/" class="brand" end>
              <span class="brand__mark" aria-hidden="true">
                T
              </span>
              <span>TaskPilot</span>
            </A>
            <nav aria-label="Main">
              <ul class="nav">
                <For each={NAV}>
                  {(item) => (
                    <li>
                      <A href={item.href} class="nav__link" activeClass="nav__link--active">
                        <Icon name={item.icon} />
                        <span>{item.label}</span>
                      </A>
                    </li>
                  )}
                </For>
              </ul>
            </nav>
          </aside>
          <div class="shell__main">
            <header class="topbar">
              <ConnectionIndicator />
              <UserMenu />
            </header>
            <main id="main" class="content" tabindex="-1">
              {props.children}
            </main>
          </div>
        </div>
        <NoticeRegion />
      </EventsContext.Provider>
    </QueryClientProvider>
  );
}
