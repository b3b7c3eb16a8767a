"""One `meltano run` of a list of blocks, and what its log says about each block.

Meltano stops a run at the first block that fails. With `--log-format=json` it logs one JSON object a line:
a `Block run completed` event with `set_number`, `success`, `err` and `exit_codes` for every block it ran, and
each plugin's own lines with the plugin's `name`. The runner reads them to know which blocks ran, which failed
(and which plugin of the block failed, with its last line: the tap's one-line error) and which were never
reached (it runs those again in a new `meltano run`), and prints every line as Meltano's plain format would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: dbt's own words for what failed (its wrapper's "error invoking dbt" line says nothing): a node that failed,
#: or an error heading whose next line says what (`Runtime Error` / `  The profile ... has no target ...`).
DBT_FAILURE = re.compile(r"(?:Failure|Runtime Error|Compilation Error|Database Error) in \w+ \S+")
DBT_HEADING = re.compile(r"^(?:Encountered an error:|(?:Runtime|Compilation|Parsing|Database|Dependency) Error)$")
#: Which plugin of a block failed, by the `exit_codes` key Meltano reports.
SIDES = {"extractors": 0, "loaders": 1}


def executable() -> str:
    """`$MELTANO`, else the meltano beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "meltano"
    return os.environ.get("MELTANO") or (str(beside) if beside.exists() else shutil.which("meltano") or "meltano")


@dataclass
class Block:
    ok: bool
    seconds: float = 0.0
    error: str = ""  # for a failed block: the failing plugin's last line, else Meltano's err


@dataclass
class Result:
    """What one `meltano run` did: the blocks it ran, by index; blocks it never reached are absent."""

    exit_code: int = 0
    blocks: dict[int, Block] = field(default_factory=dict)
    last_lines: dict[str, str] = field(default_factory=dict)  # plugin name -> its last meaningful line
    #: plugin -> an error heading ("Runtime Error") or dbt's first failure, whose reason dbt prints on the next line
    headings: dict[str, str] = field(default_factory=dict)
    first_failures: dict[str, str] = field(default_factory=dict)  # plugin -> dbt's first failure, with its reason
    meltano_error: str = ""  # Meltano's own last error (a run that failed before any block)

    def error(self, index: int) -> str:
        block = self.blocks.get(index)
        if block is not None and block.error:
            return block.error
        return self.meltano_error or f"meltano exited {self.exit_code}"


def run(project_root: Path, environment: str, blocks: list[str], *, options: tuple[str, ...] = (),
        env: dict[str, str] | None = None, pass_fds: tuple[int, ...] = (),
        on_block: Callable[[int, Block], None] | None = None) -> Result:
    """`meltano --environment=ENV run OPTIONS BLOCKS...`; its log is printed to our stderr as it comes.
    ``blocks`` are Meltano's words: a block `tap target` is two of them, and its index counts once.
    ``on_block(index, block)`` hears each block as it completes, while the run goes on."""
    command = [executable(), "--log-format=json", f"--environment={environment}", "run", *options, *blocks]
    plugins = _block_plugins(blocks)
    result = Result()
    with subprocess.Popen(command, cwd=project_root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1,
                          pass_fds=pass_fds) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            completed = len(result.blocks)
            sys.stderr.write(read_line(result, line, plugins))
            if on_block is not None and len(result.blocks) > completed:
                index = max(result.blocks)
                on_block(index, result.blocks[index])
    result.exit_code = proc.returncode
    sys.stderr.flush()
    return result


def read_line(result: Result, line: str, plugins: list[list[str]]) -> str:
    """Note what one log line says; return it as Meltano's plain format prints it."""
    try:
        event = json.loads(line)
    except ValueError:
        return line
    if not isinstance(event, dict) or "event" not in event:
        return line
    text, name = str(event["event"]), event.get("name")
    if text == "Block run completed" and "set_number" in event:
        index, ok = int(event["set_number"]), bool(event.get("success"))
        block = Block(ok, float(event.get("duration_seconds") or 0.0))
        if not ok:
            failed = [side for side, code in (event.get("exit_codes") or {}).items() if code]
            members = plugins[index] if index < len(plugins) else []
            culprits = [members[SIDES[s]] for s in failed if s in SIDES and SIDES[s] < len(members)] or members
            lines = [(result.first_failures.get(p) or result.last_lines[p]) for p in culprits if p in result.last_lines]
            block.error = lines[0] if lines else str(event.get("err") or "failed")
        result.blocks[index] = block
    elif name:
        plain = ANSI.sub("", text).strip()
        failure = DBT_FAILURE.search(plain)
        if failure:
            if name not in result.first_failures:  # its reason comes next ("Got 3 results...", a setting's check)
                result.first_failures[name] = result.headings[name] = failure[0]
        elif DBT_HEADING.match(plain):
            result.headings[name] = plain.rstrip(":")
        elif _meaningful(plain):
            heading = None if plain.startswith(">") else result.headings.pop(name, None)  # ">": a macro trace
            if heading and heading != "Encountered an error" and result.first_failures.get(name, heading) == heading:
                result.first_failures[name] = f"{heading}: {plain}"
            result.last_lines[name] = plain
    elif event.get("level") in ("error", "critical"):
        result.meltano_error = text
    stamp = str(event.get("timestamp", ""))
    return f"{stamp} [{str(event.get('level', 'info')):<9}] {name or 'meltano':<12} {text}\n"


def _meaningful(text: str) -> bool:
    """A plugin line that can say why it failed: not a metric, a traceback frame, a wrapper's echo or blank."""
    return bool(text) and not text.startswith(("METRIC:", "File \"", "Traceback", "^", "~", "error invoking dbt"))


def _block_plugins(words: list[str]) -> list[list[str]]:
    """The plugins of each block: `tap target` pairs form one block, `plugin:command` another."""
    blocks: list[list[str]] = []
    for word in words:
        if blocks and len(blocks[-1]) == 1 and word.startswith("target-") and ":" not in blocks[-1][0]:
            blocks[-1].append(word)
        else:
            blocks.append([word.split(":", 1)[0]])
    return blocks
