// Shell completion scripts for bash and zsh, written from the command tree itself so that they never fall behind it.
import type { CommandUnknownOpts, Option } from "@commander-js/extra-typings";

interface OptionSpec {
  names: string[];
  takesValue: boolean;
  choices: readonly string[] | undefined;
}

/** One command of the tree: its words (`inbox list`), what may follow it, and its options. */
interface Node {
  path: string;
  commands: Array<{ name: string; description: string }>;
  options: OptionSpec[];
  /** The choices of its first argument (completion's shell). */
  argumentChoices: readonly string[];
}

/** Options whose value is a file or folder: the shell completes paths there. */
const pathOptions = new Set(["--file", "--config-dir"]);

function nodesOf(command: CommandUnknownOpts, path = ""): Node[] {
  const node: Node = {
    path,
    commands: command.commands.map((each) => ({ name: each.name(), description: each.description() })),
    options: command.options.filter((option) => !option.hidden).map(optionSpec),
    argumentChoices: command.registeredArguments[0]?.argChoices ?? [],
  };
  return [node, ...command.commands.flatMap((each) => nodesOf(each as CommandUnknownOpts, path ? `${path} ${each.name()}` : each.name()))];
}

function optionSpec(option: Option): OptionSpec {
  return {
    names: [option.long, option.short].filter((name): name is string => name !== undefined),
    takesValue: option.required || option.optional,
    choices: option.argChoices,
  };
}

/** What the shell script needs: every node, the global options (valid at any depth), and the options taking a value. */
function model(program: CommandUnknownOpts) {
  const nodes = nodesOf(program);
  // --version belongs to the program alone; the others apply after any command too.
  const globals = nodes[0]!.options.filter((option) => !option.names.includes("--version"));
  const all = nodes.flatMap((node) => node.options);
  const valueNames = [...new Set(all.filter((option) => option.takesValue).flatMap((option) => option.names))];
  const choiceCases = nodes.flatMap((node) =>
    (node === nodes[0] ? [] : node.options)
      .filter((option) => option.choices)
      .map((option) => ({ patterns: option.names.map((name) => `"${node.path}|${name}"`), choices: option.choices! })),
  );
  const globalChoiceCases = globals
    .filter((option) => option.choices)
    .map((option) => ({ patterns: option.names.map((name) => `*"|${name}"`), choices: option.choices! }));
  const freeValues = valueNames.filter((name) => !pathOptions.has(name)).map((name) => `*"|${name}"`);
  const words = (node: Node) => [
    ...node.commands.map((each) => each.name),
    ...node.argumentChoices,
    ...[...node.options, ...(node === nodes[0] ? [] : globals)].flatMap((option) => option.names),
    "--help",
  ];
  return { nodes, valueNames, choiceCases: [...choiceCases, ...globalChoiceCases], freeValues, words };
}

export function bashScript(program: CommandUnknownOpts): string {
  const { nodes, valueNames, choiceCases, freeValues, words } = model(program);
  return `# bash completion for triggers. Load it in each shell with: source <(triggers completion bash)
# or for good: triggers completion bash > ~/.local/share/bash-completion/completions/triggers
_triggers() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmdpath="" word skip="" i
  # The command's words so far, without options and the values they take.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ -n $skip ]]; then skip=""; continue; fi
    case "$word" in
      ${valueNames.join("|")}) skip=1 ;;
      -*) ;;
      *) cmdpath="$cmdpath $word" ;;
    esac
  done
  cmdpath="\${cmdpath# }"
  case "$cmdpath|$prev" in
${choiceCases.map((each) => `    ${each.patterns.join("|")}) COMPREPLY=($(compgen -W "${each.choices.join(" ")}" -- "$cur")); return ;;`).join("\n")}
    ${[...pathOptions].map((name) => `*"|${name}"`).join("|")}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${freeValues.join("|")}) COMPREPLY=(); return ;;
  esac
  case "$cmdpath" in
${nodes.map((node) => `    "${node.path}") COMPREPLY=($(compgen -W "${words(node).join(" ")}" -- "$cur")) ;;`).join("\n")}
    *) COMPREPLY=() ;;
  esac
}
complete -F _triggers triggers
`;
}

export function zshScript(program: CommandUnknownOpts): string {
  const { nodes, valueNames, choiceCases, freeValues, words } = model(program);
  const described = (node: Node) =>
    node.commands.map((each) => `"${zshQuoted(`${each.name}:${each.description.replaceAll(":", "\\:")}`)}"`).join(" ");
  const options = (node: Node) => words(node).filter((word) => word.startsWith("-") || node.argumentChoices.includes(word));
  return `#compdef triggers
# zsh completion for triggers. Save it on your fpath: triggers completion zsh > "\${fpath[1]}/_triggers"
# or load it in each shell, after compinit: source <(triggers completion zsh)
_triggers() {
  local cmdpath="" word skip="" i prev="\${words[CURRENT-1]}"
  # The command's words so far, without options and the values they take.
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    if [[ -n $skip ]]; then skip=""; continue; fi
    case "$word" in
      (${valueNames.join("|")}) skip=1 ;;
      (-*) ;;
      (*) cmdpath="$cmdpath $word" ;;
    esac
  done
  cmdpath="\${cmdpath# }"
  case "$cmdpath|$prev" in
${choiceCases.map((each) => `    (${each.patterns.join("|")}) compadd -- ${each.choices.join(" ")}; return ;;`).join("\n")}
    (${[...pathOptions].map((name) => `*"|${name}"`).join("|")}) _files; return ;;
    (${freeValues.join("|")}) return ;;
  esac
  local -a subcommands
  case "$cmdpath" in
${nodes.map((node) => `    ("${node.path}") subcommands=(${described(node)}); compadd -- ${options(node).join(" ")} ;;`).join("\n")}
    (*) return ;;
  esac
  (( \${#subcommands} )) && _describe -t commands 'triggers command' subcommands
}
compdef _triggers triggers 2>/dev/null
# Run when autoloaded from the fpath; when sourced, compdef above is all that is needed.
if [[ "\${funcstack[1]}" == "_triggers" ]]; then _triggers "$@"; fi
`;
}

/** Text inside double quotes in zsh: backslash, double quote, dollar and backquote escaped. */
function zshQuoted(text: string): string {
  return text.replace(/[\\"$`]/g, (char) => `\\${char}`);
}
