# Prints the calls a Tiltfile makes, with their literal arguments, as JSON: Starlark is Python syntax, so ast reads it.
import ast
import json
import sys


def literal(node):
    try:
        return ast.literal_eval(node)
    except Exception:  # not a literal: a variable or an expression
        return None


tree = ast.parse(open(sys.argv[1]).read(), sys.argv[1])
calls = [
    {
        "name": node.func.id,
        "args": [literal(arg) for arg in node.args],
        "kwargs": {kw.arg: literal(kw.value) for kw in node.keywords if kw.arg},
    }
    for node in ast.walk(tree)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
]
print(json.dumps(calls))
