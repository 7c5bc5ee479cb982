"""The README's reference of each resource (signature, input table, output table), generated from its declaration in
pulumi_cpp_golive/resource.py. Run by scripts/gen-sdk (``--check`` there checks it too):

    python scripts/lib/readme_tables.py [--check] [README.md]

Each resource's block sits between ``<!-- reference: NAME -->`` and ``<!-- end reference: NAME -->``; everything
between the markers is replaced. Hand-written prose stays outside them.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from pulumi_cpp_golive import resource
from pulumi_cpp_golive.resource import Declaration, Property

ROOT = Path(__file__).resolve().parents[2]
_NOUNS = {resource.GO_LIVE.name: "go-live", resource.PUBLISH.name: "publish"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(prop: Property) -> str:
    return json.dumps(prop.default) if prop.default is not None else "None"


def signature(decl: Declaration) -> str:
    required = [prop.name for prop in decl.inputs if prop.required]
    optional = [f"{prop.name}={_default(prop)}" for prop in decl.inputs if not prop.required]
    return f"`{decl.name}({', '.join(['resource_name', *required, '*', *optional, 'opts=None'])})`"


def _meaning(prop: Property) -> str:
    text = prop.description
    if prop.bounds is not None:
        low, high = prop.bounds
        text += f" Accepted: {low:.12g} to {high:.12g} seconds."
    if prop.required:
        text += " Required."
    return _cell(text)


def _on_change(decl: Declaration, prop: Property) -> str:
    if prop.replaces:
        return f"replace (a new {_NOUNS[decl.name]})"
    if prop.name == "wait":
        return "update; a wait to the end on a recorded running operation resumes it (no new POST)"
    return "update, no request"


def block(decl: Declaration) -> str:
    """The generated reference of ``decl``, markers excluded."""
    lines = [signature(decl), "", "| input | meaning | on change |", "|---|---|---|"]
    lines += [f"| `{prop.name}` | {_meaning(prop)} | {_on_change(decl, prop)} |" for prop in decl.inputs]
    lines += ["", "| output | meaning |", "|---|---|"]
    lines += [f"| `{prop.name}` | {_cell(prop.description)} |" for prop in decl.outputs]
    return "\n".join(lines)


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- reference: {name} -->\n)(?:.*?\n)?(<!-- end reference: {name} -->)", re.DOTALL)


def rendered(text: str) -> str:
    """``text`` (a README) with every resource's block regenerated; a missing marker pair is an error."""
    for decl in resource.RESOURCES:
        pattern = _pattern(decl.name)
        if not pattern.search(text):
            raise SystemExit(f"readme_tables: no '<!-- reference: {decl.name} -->' ... '<!-- end reference: "
                             f"{decl.name} -->' block in the README")
        text = pattern.sub(lambda match, decl=decl: match.group(1) + block(decl) + "\n" + match.group(2), text)
    return text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [arg for arg in argv if not arg.startswith("-")]
    readme = Path(paths[0]) if paths else ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    wanted = rendered(text)
    if check:
        if wanted != text:
            print(f"readme_tables: {readme} is not what resource.py declares; run scripts/gen-sdk", file=sys.stderr)
            return 1
        return 0
    if wanted != text:
        readme.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
