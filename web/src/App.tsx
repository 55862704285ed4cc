import { Navigate, Route, Router } from "@solidjs/router";
import { onMount, type ParentProps } from "solid-js";
import { AppLayout } from "./components/AppLayout";
import { RequireGuest, RequireUser } from "./components/guards";
import { AppPage, AppsPage } from "./routes/AppsPage";
import { ProjectPage } from "./routes/ProjectPage";
import { SpecPage } from "./routes/SpecPage";
import { ConnectMcpPage } from "./routes/mcp/ConnectMcpPage";
import { ChatPage } from "./routes/ChatPage";
import { IntegrationsPage } from "./routes/IntegrationsPage";
import { KnowledgeDocumentPage } from "./routes/KnowledgeDocumentPage";
import { KnowledgePage } from "./routes/KnowledgePage";
import { LoginPage } from "./routes/LoginPage";
import { NotFoundPage } from "./routes/NotFoundPage";
import { ProjectsPage } from "./routes/ProjectsPage";
import { RegisterPage } from "./routes/RegisterPage";
import { SettingsPage } from "./routes/SettingsPage";
import { TemplatesPage } from "./routes/TemplatesPage";
import { TemplatePage } from "./routes/TemplatePage";
import { createAuthStore } from "./stores/auth";
import { AuthContext } from "./stores/auth-context";

function Root(props: ParentProps) {
  const auth = createAuthStore();
  onMount(() => void auth.restore());
  return <AuthContext.Provider value={auth}>{props.children}</AuthContext.Provider>;
}

export function App() {
  return (
    <Router root={Root}>
      <Route path="/" component={RequireGuest}>
        <Route path="/login" component={LoginPage} />
        <Route path="/register" component={RegisterPage} />
      </Route>
      <Route path="/" component={RequireUser}>
        <Route path="/" component={AppLayout}>
          <Route path="/" component={() => <Navigate href="/chat" />} />
          <Route path="/integrations" component={IntegrationsPage} />
          <Route path="/chat/:id?" component={ChatPage} />
          <Route path="/knowledge" component={KnowledgePage} />
          <Route path="/knowledge/:id" component={KnowledgeDocumentPage} />
          <Route path="/templates" component={TemplatesPage} />
          <Route path="/templates/:id" component={TemplatePage} />
          <Route path="/projects" component={ProjectsPage} />
          <Route path="/projects/:id" component={ProjectPage} />
          <Route path="/specs/:id" component={SpecPage} />
          <Route path="/apps" component={AppsPage} />
          <Route path="/apps/:id" component={AppPage} />
          <Route path="/settings" component={SettingsPage} />
          <Route path="/connect/mcp" component={ConnectMcpPage} />
          <Route path="*" component={NotFoundPage} />
        </Route>
      </Route>
    </Router>
  );
}
