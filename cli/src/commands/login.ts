// triggers login: checks a key against the gateway and saves it with the URL in the config file, readable by its owner only.
import type { Command } from "@commander-js/extra-typings";
import { Code, Triggers, TriggersError } from "../../../sdk/src/index.js";
import { CommandFailure, UsageError } from "../command-errors.js";
import { readJsonFile, writeJsonFile } from "../config-files.js";
import { configFileName, keyPrefixOf, type SavedConfig } from "../connection.js";
import { contextOf } from "../context.js";
import { urlValue } from "../option-values.js";
import { promptSecret, readStdin, stdinIsPiped } from "../stdin.js";

const localGateway = "http://127.0.0.1:8080";

export function registerLogin(program: Command): void {
  program
    .command("login")
    .description("check an API key against the gateway, then save both in the config file (mode 0600)")
    .option("--url <url>", `the gateway (default: TRIGGERS_URL, the URL saved before, or ${localGateway})`, urlValue)
    .option("--api-key <key>", "the key (default: TRIGGERS_API_KEY, else the key piped on stdin, else asked for)")
    .addHelpText(
      "after",
      '\nExamples:\n  triggers login --url http://127.0.0.1:8080\n  echo "$KEY" | triggers login --url https://triggers.example.com',
    )
    .action(async (options, command) => {
      const { output, configDir } = contextOf(command);
      const saved = readJsonFile<SavedConfig>(configDir, configFileName) ?? {};
      const url = options.url ?? process.env.TRIGGERS_URL ?? saved.url ?? localGateway;
      const apiKey = (options.apiKey ?? process.env.TRIGGERS_API_KEY ?? (await keyFromUser())).trim();
      if (!apiKey || /\s/.test(apiKey)) throw new UsageError("no API key given", "give it with --api-key, TRIGGERS_API_KEY, or on stdin");

      const canRead = await checkKey(url, apiKey);
      const file = writeJsonFile(configDir, configFileName, { ...saved, url, api_key: apiKey } satisfies SavedConfig);
      const prefix = keyPrefixOf(apiKey);
      output.result({ url, key_prefix: prefix, config_file: file, can_read_events: canRead }, () =>
        [
          `Logged in to ${url} with key ${prefix ? `${prefix}_…` : "(not shaped like a Triggers key)"} (saved in ${file})`,
          ...(canRead ? [] : ["The key cannot read events (no events:read scope): inbox, events and tail will be refused."]),
        ].join("\n"),
      );
    });
}

async function keyFromUser(): Promise<string> {
  if (stdinIsPiped()) return readStdin();
  return promptSecret("API key: ");
}

/**
 * Reads one event with the key: an unknown or revoked key fails here rather than at the next command. A key
 * without events:read is still a good key (a publisher's), so a refusal for its scope is not a failure.
 */
async function checkKey(url: string, apiKey: string): Promise<boolean> {
  try {
    await new Triggers({ baseUrl: url, apiKey }).inbox.listPage({ limit: 1 });
    return true;
  } catch (err) {
    if (err instanceof TriggersError && err.code === Code.PermissionDenied) return false;
    if (err instanceof TriggersError && err.status === undefined) {
      throw new CommandFailure(`no answer from the gateway at ${url}`, "check that it is up (npm start runs one) and that --url is right");
    }
    throw err;
  }
}
