// The command tree: global options, then every command group, each registered from its own file.
import { Command, Option } from "@commander-js/extra-typings";
import packageJson from "../package.json" with { type: "json" };
import { registerCompletion } from "./commands/completion.js";
import { registerDeliveries } from "./commands/deliveries.js";
import { registerEvents } from "./commands/events.js";
import { registerInbox } from "./commands/inbox.js";
import { registerKeys } from "./commands/keys.js";
import { registerListen } from "./commands/listen.js";
import { registerLogin } from "./commands/login.js";
import { registerReplay } from "./commands/replay.js";
import { registerSend } from "./commands/send.js";
import { registerSubscriptions } from "./commands/subscriptions.js";
import { registerTail } from "./commands/tail.js";
import { outputFormats } from "./output.js";

export function buildProgram(): Command {
  const program = new Command("triggers")
    .description(
      "The Triggers API from a terminal: send events, read the inbox, follow events live, forward them to a local server, " +
        "and manage subscriptions, deliveries and keys.",
    )
    .version(packageJson.version)
    .addOption(
      new Option("-o, --output <format>", "text for people, json for scripts (one JSON document on stdout)")
        .choices(outputFormats)
        .default("text"),
    )
    .option(
      "--config-dir <dir>",
      "where login saves the URL and key (default: $TRIGGERS_CONFIG_DIR, else $XDG_CONFIG_HOME/triggers or ~/.config/triggers)",
    )
    .addHelpText(
      "after",
      "\nTRIGGERS_URL and TRIGGERS_API_KEY override what login saved.\nExit codes: 0 success, 1 the API refused or failed, 2 a wrong command line.",
    )
    // Thrown, not exited, so that main gives every misuse exit code 2; the help is printed as commander does it.
    .exitOverride()
    .showSuggestionAfterError()
    .showHelpAfterError("(add --help for usage)");
  // Commands made with .command() inherit the settings above, exitOverride included.
  registerLogin(program);
  registerSend(program);
  registerTail(program);
  registerListen(program);
  registerInbox(program);
  registerEvents(program);
  registerSubscriptions(program);
  registerDeliveries(program);
  registerReplay(program);
  registerKeys(program);
  registerCompletion(program);
  return program as unknown as Command;
}
