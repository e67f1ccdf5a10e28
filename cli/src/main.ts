// The triggers command's entry: runs the command line, and turns what went wrong into an exit code (0, 1 API error, 2 misuse).
import { CommanderError, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { configDirOf } from "./config-files.js";
import { resolveConnection } from "./connection.js";
import { ExitCode } from "./exit-codes.js";
import { Output, type OutputFormat } from "./output.js";
import { buildProgram } from "./program.js";
import { reportError } from "./report-error.js";

// A reader that stops reading (`triggers tail | head -1`) ends the command quietly, as it ends other Unix tools.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(ExitCode.ok);
  throw err;
});

const program = buildProgram();
let running: CommandUnknownOpts | undefined;
program.hook("preAction", (_program, action) => {
  running = action;
});
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed the help or the complaint already: --help and --version succeed, anything else is misuse.
    process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    const { output, configDir } = program.opts() as { output?: OutputFormat; configDir?: string };
    process.exitCode = reportError(err, new Output(output ?? "text"), commandWords(running), gatewayUrl(configDirOf(configDir)));
  }
}

/** The words naming a command, `events get`, without the program's own name. */
function commandWords(command: CommandUnknownOpts | undefined): string {
  const words: string[] = [];
  for (let each = command; each?.parent; each = each.parent) words.unshift(each.name());
  return words.join(" ");
}

/** The gateway the command talked to, for a hint about reaching it; undefined when none is set. */
function gatewayUrl(configDir: string): string | undefined {
  try {
    return resolveConnection(configDir).url;
  } catch {
    return undefined;
  }
}
