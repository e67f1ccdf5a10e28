// What the launcher prints once the stack is up: where it is, what it keeps its data in, and how to call it.

/** The database the stack uses, and how many orgs it held before this start (0 for a new one). */
export interface DatabaseInUse {
  name: string;
  /** host:port */
  server: string;
  orgs: number;
}

export function readyBanner(options: { gatewayUrl: string; adminToken: string; devKey?: string; database: DatabaseInUse }): string {
  const lines = [
    "",
    "Triggers is running.",
    `  gateway:     ${options.gatewayUrl}`,
    `  reference:   ${options.gatewayUrl}/docs`,
    `  admin token: ${options.adminToken}`,
    `  database:    ${describeDatabase(options.database)}`,
  ];
  if (options.devKey) {
    lines.push(
      `  dev API key: ${options.devKey}`,
      "",
      "Try it:",
      `  curl -H 'Authorization: Bearer ${options.devKey}' ${options.gatewayUrl}/v1/inbox`,
    );
  } else {
    lines.push(
      "",
      "No dev API key (see the error above). Create an org by hand:",
      `  curl -X POST -H 'Authorization: Bearer ${options.adminToken}' -H 'content-type: application/json' -d '{"name":"dev"}' ${options.gatewayUrl}/v1/orgs`,
    );
  }
  lines.push("", "Ctrl-C stops everything.", "");
  return lines.join("\n");
}

function describeDatabase({ name, server, orgs }: DatabaseInUse): string {
  const held = orgs === 0 ? "no orgs before this start" : `kept from earlier runs, ${orgs} org${orgs === 1 ? "" : "s"}`;
  return `${name} on ${server} (${held})`;
}
