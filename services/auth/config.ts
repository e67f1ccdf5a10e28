// The auth service's settings, read once at start.
import { common, databaseUrl, loadConfig, optionalText, port } from "../shared/config.js";

export function loadAuthConfig() {
  return loadConfig({
    ...common,
    port: port("AUTH_PORT", 8081),
    databaseUrl,
    /** Who may create orgs; when unset, nobody can. */
    adminToken: optionalText("ADMIN_TOKEN"),
  });
}
