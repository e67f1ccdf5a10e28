// The auth service's settings, read once at start.
import { keyEnvironments } from "../shared/api-key.js";
import { common, databaseUrl, keyChecks, listenPort, loadConfig, natsUrl, oneOf, optionalText } from "../shared/config.js";

export function loadAuthConfig() {
  return loadConfig({
    ...common,
    port: listenPort("auth"),
    databaseUrl,
    natsUrl,
    ...keyChecks,
    /** The operator's token, which creates orgs and sets their plans; when unset, nobody can. */
    adminToken: optionalText("ADMIN_TOKEN"),
    /** The environment this deployment's keys carry (tk_live_, tk_test_); keys of the other are refused. */
    keyEnvironment: oneOf("KEY_ENVIRONMENT", "live", keyEnvironments),
  });
}
