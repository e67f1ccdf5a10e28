// The auth service's settings, read once at start.
import { common, databaseUrl, listenPort, loadConfig, optionalText } from "../shared/config.js";

export function loadAuthConfig() {
  return loadConfig({
    ...common,
    port: listenPort("auth"),
    databaseUrl,
    /** Who may create orgs; when unset, nobody can. */
    adminToken: optionalText("ADMIN_TOKEN"),
  });
}
