// What the launcher prints once the stack is up: where it is and how to call it.
export function readyBanner(options: { gatewayUrl: string; adminToken: string; devKey?: string }): string {
  const lines = ["", "Triggers is running.", `  gateway:     ${options.gatewayUrl}`, `  admin token: ${options.adminToken}`];
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
