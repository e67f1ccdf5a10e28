// triggers completion: prints the bash or zsh completion script, made from the command tree.
import { Argument, type Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { bashScript, zshScript } from "../completion-script.js";
import { contextOf } from "../context.js";

export function registerCompletion(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script for bash or zsh")
    .addArgument(new Argument("<shell>", "bash or zsh").choices(["bash", "zsh"] as const))
    .addHelpText(
      "after",
      `
Examples:
  source <(triggers completion bash)      # this shell; add the line to ~/.bashrc to keep it
  triggers completion zsh > "\${fpath[1]}/_triggers"   # zsh, for good`,
    )
    .action((shell, _options, command) => {
      const root = program as unknown as CommandUnknownOpts;
      const script = shell === "bash" ? bashScript(root) : zshScript(root);
      const { output } = contextOf(command);
      if (output.json) output.result({ shell, script }, () => script);
      else process.stdout.write(script);
    });
}
