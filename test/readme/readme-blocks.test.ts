// The README's shell blocks as the walk-through test reads them: commands, shown answers, and the markers that set blocks apart.
import test from "ava";
import { exportedNames, readmeBlocks } from "./readme-blocks.js";

const readme = [
  "# Title",
  "## Use it",
  "<!-- not run: the test sets these -->",
  "```sh",
  "export TRIGGERS=http://127.0.0.1:8080",
  "```",
  "Text.",
  "```sh",
  "A=$(curl -s -X POST $TRIGGERS/v1/things \\",
  "  -d '{}')",
  'echo "$A"',
  '# {"id":"...",',
  '#   "name":"x"}',
  "export ID=1   # a comment",
  "",
  "curl -s $TRIGGERS/v1/things",
  "```",
  "```js",
  "not shell();",
  "```",
  "<!-- another terminal: a receiver -->",
  "```sh",
  "node -e 'listen(9999)'",
  "```",
  "## Security",
  "```sh",
  "curl -s $TRIGGERS/v1/keys",
  "```",
].join("\n");

test("readme blocks - the section's sh blocks, their commands, answers shown and markers, and nothing after the section", (t) => {
  const blocks = readmeBlocks(readme, "Use it");
  t.deepEqual(
    blocks.map((block) => [block.kind, block.reason]),
    [
      ["not run", "the test sets these"],
      ["run", undefined],
      ["another terminal", "a receiver"],
    ],
  );
  t.deepEqual(blocks[1]!.steps, [
    { command: "A=$(curl -s -X POST $TRIGGERS/v1/things \\\n  -d '{}')", line: 9 },
    { command: 'echo "$A"', shown: '{"id":"...","name":"x"}', line: 11 },
    { command: "export ID=1   # a comment", line: 14 },
    { command: "curl -s $TRIGGERS/v1/things", line: 16 },
  ]);
  t.deepEqual(exportedNames(blocks[0]!), ["TRIGGERS"]);
});

test("readme blocks - an unknown marker, another shell fence or an answer without a command is an error", (t) => {
  t.throws(() => readmeBlocks("## Use it\n<!-- skip -->\n```sh\nls\n```", "Use it"), { message: /not a marker/ });
  t.throws(() => readmeBlocks("## Use it\n```bash\nls\n```", "Use it"), { message: /fenced as sh/ });
  t.throws(() => readmeBlocks("## Use it\n```sh\n# {}\n```", "Use it"), { message: /before any command/ });
  t.throws(() => readmeBlocks("## Run it\n", "Use it"), { message: /no "## Use it"/ });
});
