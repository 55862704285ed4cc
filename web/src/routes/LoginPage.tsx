import { useSearchParams } from "@solidjs/router";
import { Show, createSignal } from "solid-js";
import { AuthCard } from "../components/AuthCard";
import { Field } from "../components/Field";
import { Spinner } from "../components/Spinner";
import { useSubmit } from "../components/useForm";
import { ACCOUNT_DELETED_NOTICE } from "../stores/account";
import { useAuth } from "../stores/auth-context";

export function LoginPage() {
  const auth = useAuth();
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const submit = useSubmit();
  const [params] = useSearchParams<{ notice?: string }>();

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    // RequireGuest redirects once the session exists.
    void submit.run(async () => {
      await auth.login({ email: email(), password: password() });
    });
  };

  return (
    <AuthCard
      title="Sign in"
      subtitle="Welcome back. Your agents are waiting."
      error={submit.formError()}
      footer={{ text: "New to TaskPilot?", linkText: "Create an account", href: "/register" }}
    >
      <Show when={params.notice === ACCOUNT_DELETED_NOTICE}>
        <p class="notice" role="status">
          Your account and all of its data were deleted.
        </p>
      </Show>
      <Show when={params.notice === "sessions-ended"}>
        <p class="notice" role="status">
          Every sign-in, integration and app access was ended. Sign in again; if your password may be known, change it.
        </p>
      </Show>
      <form class="form" onSubmit={onSubmit} aria-busy={submit.busy()}>
        <Field label="Email" name="email" type="email" autocomplete="email" required value={email()} onInput={setEmail} error={submit.fieldError("email")} />
        <Field
          label="Password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password()}
          onInput={setPassword}
          error={submit.fieldError("password")}
        />
        <button class="button button--primary button--block" type="submit" disabled={submit.busy()}>
          {submit.busy() ? <Spinner /> : null}
          {submit.busy() ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </AuthCard>
  );
}
