// The auth service's settings, read once at start.
import { keyEnvironments } from "../shared/api-key.js";
import { common, database, jetStream, keyChecks, listenPorts, loadConfig, oneOf, optionalText } from "../shared/config.js";

export function loadAuthConfig() {
  return loadConfig({
    ...common,
    ...listenPorts("auth"),
    ...database,
    ...jetStream,
    ...keyChecks,
    /** The operator's token, which creates orgs and sets their plans; when unset, nobody can. */
    adminToken: optionalText("ADMIN_TOKEN"),
    /** The environment this deployment's keys carry (tk_live_, tk_test_); keys of the other are refused. */
    keyEnvironment: oneOf("KEY_ENVIRONMENT", "live", keyEnvironments),
  });
}
