// What every command's action starts from: the output format and config folder of the global options, and an API client.
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { Triggers } from "../../sdk/src/index.js";
import { createClient } from "./client.js";
import { configDirOf } from "./config-files.js";
import { resolveConnection } from "./connection.js";
import { Output, type OutputFormat } from "./output.js";

export interface Context {
  output: Output;
  configDir: string;
  /** A client of the gateway with the key; throws a UsageError saying how to set them when either is missing. */
  client(): Triggers;
}

export function contextOf(command: CommandUnknownOpts): Context {
  const globals = command.optsWithGlobals() as { output?: OutputFormat; configDir?: string };
  const output = new Output(globals.output ?? "text");
  const configDir = configDirOf(globals.configDir);
  return { output, configDir, client: () => createClient(resolveConnection(configDir), output) };
}
