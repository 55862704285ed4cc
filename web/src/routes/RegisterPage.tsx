import { createSignal } from "solid-js";
import { AuthCard } from "../components/AuthCard";
import { Field } from "../components/Field";
import { Spinner } from "../components/Spinner";
import { useSubmit } from "../components/useForm";
import { useAuth } from "../stores/auth-context";

export function RegisterPage() {
  const auth = useAuth();
  const [name, setName] = createSignal("");
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const submit = useSubmit();

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      const trimmed = name().trim();
      // RequireGuest redirects once the session exists.
      await auth.register({ email: email(), password: password(), ...(trimmed ? { name: trimmed } : {}) });
    });
  };

  return (
    <AuthCard
      title="Create your account"
      subtitle="Connect your tools and let agents do the busywork."
      error={submit.formError()}
      footer={{ text: "Already have an account?", linkText: "Sign in", href: "/login" }}
    >
      <form class="form" onSubmit={onSubmit} aria-busy={submit.busy()}>
        <Field label="Name" name="name" autocomplete="name" value={name()} onInput={setName} error={submit.fieldError("name")} />
        <Field label="Email" name="email" type="email" autocomplete="email" required value={email()} onInput={setEmail} error={submit.fieldError("email")} />
        <Field
          label="Password"
          name="password"
          type="password"
          autocomplete="new-password"
          required
          minLength={8}
          maxLength={256}
          hint="At least 8 characters."
          value={password()}
          onInput={setPassword}
          error={submit.fieldError("password")}
        />
        <button class="button button--primary button--block" type="submit" disabled={submit.busy()}>
          {submit.busy() ? <Spinner /> : null}
          {submit.busy() ? "Creating account…" : "Create account"}
        </button>
      </form>
    </AuthCard>
  );
}
