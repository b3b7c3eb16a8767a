"""Every command the docs give a user must exist as written.

Each `meltano ...` line of every Markdown file in the repository (fenced blocks and inline code) is checked
against Meltano itself: the subcommand against `meltano --help`, `config`/`state` subcommands against theirs,
and every job, plugin and `plugin:command` a `run` or `invoke` names against the compiled project (meltano.yml
with its includes). `inventory-sync ...` lines go through the runner's own argument parser, and `scripts/...`
must exist and be executable. A placeholder (`<plugin>`, `...`) is not checked.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT, meltano_bin

SKIP_DIRS = {".venv", ".meltano", "output", "node_modules", ".git"}
FENCE = re.compile(r"```(?:bash|sh|shell|console|cron)\n(.*?)```", re.S)
INLINE = re.compile(r"`((?:\.venv/bin/)?(?:meltano|inventory-sync) [^`]+)`")
MELTANO_GLOBAL = re.compile(r"^--(environment|log-level|log-format|log-config|cwd)(=|$)")


def markdown_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.md") if not SKIP_DIRS & set(p.relative_to(ROOT).parts))


def commands(path: Path) -> list[str]:
    """The command lines of a Markdown file: shell lines of fenced blocks (cron prefixes, `cd ... &&` and
    comments stripped; `&&` and `|` split) and inline `meltano ...` / `inventory-sync ...` spans."""
    text = path.read_text()
    found = []
    for block in FENCE.findall(text):
        for raw in block.splitlines():
            line = re.sub(r"^\s*(\$ |> )?", "", raw)
            line = re.sub(r"^([*\d,/-]+\s+){5}", "", line)  # a cron line's five time fields
            line = re.sub(r"\s*(\d?>>?\s*\S+|\d>&\d)", "", line)  # redirections: >>output/sync.log 2>&1
            for part in re.split(r"&&|\|(?!\|)", line):
                part = part.split(" #", 1)[0].strip()
                if re.match(r"^(\.venv/bin/)?(meltano|inventory-sync)\b|^scripts/", part):
                    found.append(part)
    found += INLINE.findall(text)
    return found


@cache
def meltano_commands() -> set[str]:
    out = subprocess.run([str(meltano_bin()), "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=True).stdout
    return set(re.findall(r"^  ([a-z]+)\s", out.split("Commands:", 1)[1], re.M))


@cache
def manifest() -> dict:
    subprocess.run([str(meltano_bin()), "--log-level=warning", "compile"], cwd=ROOT, capture_output=True, text=True,
                   timeout=300, check=True)
    return json.loads(next((ROOT / ".meltano" / "manifests").glob("meltano-manifest.json")).read_text())


def project_names() -> tuple[set[str], dict[str, set[str]], set[str]]:
    """Jobs, plugins with their commands, environments."""
    m = manifest()
    plugins: dict[str, set[str]] = {}
    for kind in m.get("plugins", {}).values():
        for plugin in kind:
            plugins[plugin["name"]] = set((plugin.get("commands") or {}).keys())
    jobs = {j["name"] for j in m.get("jobs", [])}
    # `meltano compile` writes one manifest per environment: meltano-manifest.<environment>.json
    environments = {p.name.split(".")[1] for p in (ROOT / ".meltano" / "manifests").glob("meltano-manifest.*.json")}
    return jobs, plugins, environments


def check_meltano(words: list[str]) -> str | None:
    """Why this meltano command line would not run as written (None: it would)."""
    jobs, plugins, environments = project_names()
    rest = list(words[1:])
    while rest and rest[0].startswith("--") and MELTANO_GLOBAL.match(rest[0]):
        option = rest.pop(0)
        if "=" not in option and rest:
            value = rest.pop(0)
            option = f"{option}={value}"
        if option.startswith("--environment=") and option.split("=", 1)[1] not in environments:
            return f"no environment {option.split('=', 1)[1]!r}"
    if not rest:
        return "no subcommand"
    sub, args = rest[0], [a for a in rest[1:] if not a.startswith("-")]
    if sub not in meltano_commands():
        return f"meltano has no command {sub!r}"
    if sub == "run":
        for block in args:
            name, _, command = block.partition(":")
            if command:
                if name not in plugins or command not in plugins[name]:
                    return f"{block!r} is no plugin command of this project"
            elif block not in jobs and block not in plugins:
                return f"{block!r} is no job or plugin of this project"
    elif sub == "invoke" and args:
        name, _, command = args[0].partition(":")
        if name not in plugins or (command and command not in plugins[name]):
            return f"{args[0]!r} is no plugin (command) of this project"
    elif sub == "config":
        if not args or args[0] not in {"list", "print", "reset", "set", "test", "unset"}:
            return f"`meltano config` takes list, print, reset, set, test or unset first, not {args[:1]}"
        if len(args) > 1 and args[1] not in plugins:
            return f"{args[1]!r} is no plugin of this project"
    elif sub == "state" and (not args or args[0] not in {"list", "get", "set", "clear", "copy", "merge", "move"}):
        return f"`meltano state` has no subcommand {args[:1]}"
    return None


def check(line: str) -> str | None:
    if "<" in line or "..." in line:
        return None  # a placeholder for the reader to fill in
    words = shlex.split(line)
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):  # VAR=value before the command
        words.pop(0)
    if not words:
        return None
    exe = words[0]
    if exe.endswith("meltano"):
        return check_meltano(words)
    if exe.endswith("inventory-sync"):
        from inventory_runner.cli import parse

        try:
            parse(words[1:])
        except SystemExit:
            return "inventory-sync refuses these arguments"
        return None
    if exe.startswith("scripts/"):
        script = ROOT / exe
        return None if script.exists() and script.stat().st_mode & 0o111 else f"{exe} is not an executable script"
    return None


DOCS = [(p, c) for p in markdown_files() for c in commands(p)]


def test_the_docs_give_commands() -> None:
    assert len(DOCS) > 20 and any("inventory-sync" in c for _, c in DOCS)


@pytest.mark.parametrize(("path", "line"), DOCS, ids=[f"{p.relative_to(ROOT)}:{c[:50]}" for p, c in DOCS])
def test_documented_command_exists(path: Path, line: str) -> None:
    problem = check(line)
    assert problem is None, f"{path.relative_to(ROOT)}: `{line}`: {problem}"
