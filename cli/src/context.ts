// What every command's action starts from: the output format and config folder of the global options, and an API client.
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { Triggers } from "../../sdk/src/index.js";
import { type ClientOptions, createClient } from "./client.js";
import { configDirOf } from "./config-files.js";
import { type Connection, resolveConnection } from "./connection.js";
import { Output, type OutputFormat } from "./output.js";

export interface Context {
  output: Output;
  configDir: string;
  /** The gateway and key; throws a UsageError saying how to set them when either is missing. */
  connection(): Connection;
  client(options?: ClientOptions): Triggers;
}

export function contextOf(command: CommandUnknownOpts): Context {
  const globals = command.optsWithGlobals() as { output?: OutputFormat; configDir?: string };
  const output = new Output(globals.output ?? "text");
  const configDir = configDirOf(globals.configDir);
  const connection = () => resolveConnection(configDir);
  return { output, configDir, connection, client: (options) => createClient(connection(), output, options) };
}
