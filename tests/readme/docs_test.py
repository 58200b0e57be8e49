#!/usr/bin/env python3
"""Keeps README.md and docs/*.md true to the tree and the program.

Usage: docs_test.py LOGOSCOPE SOURCE_DIR

Checks, each failure printed as FILE:LINE: what (exit 1 when any):
  links    every relative Markdown link `](path)` in README.md, BENCHMARKS.md and docs/*.md names
           an existing file or folder (anchors after # ignored, http(s)/mailto skipped), and so does
           every repository path written in their text (docs/x.md, src/a/b.cpp, tests/readme/, ...).
  options  every `--option` written after `logoscope COMMAND` (or a span that starts with COMMAND)
           in an inline code span or a code-block line of README.md or docs/*.md is an option that
           `logoscope COMMAND --help` (or `logoscope --help`, for the global ones) prints; and every
           row of docs/cli.md's table lists only commands that have that option. (The other
           direction, every real option is in docs/cli.md, is CliVocabulary.* in tests/cli.)
  keys     in a sentence of README.md or docs/*.md that names `model.json` or `summary.json`, every
           key-like code span after that name (`min_confidence`, `training.augment.min_box_side`)
           is a JSON key that src/ writes into that file: keys come from {"key", ...} pairs and
           json["key"] = ... assignments (reads such as .at("old_key") do not count, so a key kept
           only for reading old files is still caught).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

# Where src/ writes the keys of each JSON file the docs talk about (paths relative to src/).
KEY_SOURCES = {
    # model_info.cpp writes the file; the trainer, pretrain, one-shot and library fill `training`,
    # `datasets` and `metrics` (eval/metrics_json.cpp: the test metrics).
    "model.json": ["model", "train", "pretrain", "oneshot", "library", "eval/metrics_json.cpp"],
    # evaluate --out (eval/evaluation_files.cpp) and video --out (video/).
    "summary.json": ["eval", "video"],
}
FILE_EXTENSIONS = (".json", ".jsonl", ".pt", ".md", ".cpp", ".hpp", ".csv", ".txt", ".yaml", ".yml",
                   ".jpg", ".png", ".html", ".manifest", ".xml", ".sh", ".py", ".mp4")
KEY_LIKE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.S)

failures = []
option_mentions = []  # (command, option) pairs checked


def fail(path, line, message):
    failures.append(f"{path}:{line}: {message}")


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def split_fences(text):
    """(prose, code_lines): prose has fenced blocks blanked (line numbers kept); code_lines are
    (line_number, line) of every line inside a fence."""
    prose, code = [], []
    fence = None
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.lstrip()
        if fence is None and (stripped.startswith("```") or stripped.startswith("~~~")):
            fence = stripped[:3]
            prose.append("")
        elif fence is not None and stripped.startswith(fence):
            fence = None
            prose.append("")
        elif fence is not None:
            code.append((number, line))
            prose.append("")
        else:
            prose.append(line)
    return "\n".join(prose), code


# ---------------------------------------------------------------------------------------- links
REPO_PATH = re.compile(
    r"(?<![\w/.:-])((?:docs|src|include|tests|tools|scripts|bench|examples|models|cmake)/"
    r"[A-Za-z0-9_./-]*[A-Za-z0-9_/])(\.?\{[\w.,-]+\})?")


def check_links(source, md):
    text = md.read_text(encoding="utf-8")
    rel = md.relative_to(source)
    prose, _ = split_fences(text)
    for match in re.finditer(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", prose):
        target = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http:, https:, mailto:, an anchor in this file
        path = target.split("#", 1)[0]
        if not (md.parent / path).exists():
            fail(rel, line_of(prose, match.start()), f"link to {target}: no such file")
    # Paths written in the text (the docs mostly name files that way). Globs and placeholders
    # (`src/*/`, `models/v1/`, `OUT/...`) are not paths of the tree; only names whose first
    # component exists are checked, and a name that is an example (in a sh example) is skipped.
    for match in REPO_PATH.finditer(prose):
        path = match.group(1).rstrip(".")
        if "*" in path or "…" in path:
            continue
        rest = prose[match.end():match.end() + 2]
        if not match.group(2) and (rest.startswith("*") or rest.startswith(".*")):
            if not list(source.glob(path + rest[:rest.index("*") + 1])):
                fail(rel, line_of(prose, match.start()), f"{path}{rest}: matches no file in the repository")
            continue
        if path.startswith("models/") and not (source / path.split("/")[0] / path.split("/")[1]).exists():
            continue  # models/v1/ in a project folder, not the repository's models/
        # `a/b.{hpp,cpp}` names a/b.hpp and a/b.cpp
        braces = match.group(2) or ""
        dot = "." if braces.startswith(".") else ""
        alternatives = [dot + a for a in braces.strip(".{}").split(",")] if braces else [""]
        for alternative in alternatives:
            if not (source / (path + alternative)).exists():
                fail(rel, line_of(prose, match.start()),
                     f"{path + alternative}: no such file or folder in the repository")


# -------------------------------------------------------------------------------------- options
def run_help(logoscope, words):
    result = subprocess.run([logoscope, *words, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, timeout=60)
    if result.returncode != 0:
        raise SystemExit(f"`logoscope {' '.join(words)} --help` exited {result.returncode}:\n{result.stdout}")
    return result.stdout


def help_options(text):
    options = set()
    for line in text.splitlines():
        # CLI11 indents an option's names by two spaces, a description's later lines by more.
        match = re.match(r"^  ((?:-\w\s*,\s*)?--[\w-]+(?:\s*,\s*--?[\w-]+)*)", line)
        if match:
            options.update(re.findall(r"--[\w-]+", match.group(1)))
    return options


def help_subcommands(text):
    names, inside = [], False
    for line in text.splitlines():
        if re.match(r"^(Subcommands|SUBCOMMANDS):", line):
            inside = True
        elif inside and not line.strip():
            inside = False
        elif inside and re.match(r"^  \S", line):  # a description's later lines are indented more
            names.append(line.split()[0])
    return names


def cli_vocabulary(logoscope):
    """{"detect": {...}, "dataset validate": {...}, "": global options}."""
    top = run_help(logoscope, [])
    commands = {"": help_options(top)}
    for name in help_subcommands(top):
        text = run_help(logoscope, [name])
        commands[name] = help_options(text)
        for sub in help_subcommands(text):
            commands[f"{name} {sub}"] = help_options(run_help(logoscope, [name, sub]))
    if len(commands) < 10 or not commands.get("detect"):
        raise SystemExit(f"could not read the commands from `{logoscope} --help`: {sorted(commands)}")
    return commands


SHELL_STOP = {"|", "||", "&&", ";", ">", ">>", "2>", "2>&1", "<", "&"}


def command_at(tokens, start, commands):
    """The command named at tokens[start:] ("dataset validate", "detect") and the index after it."""
    if start < len(tokens) and tokens[start] in commands and tokens[start]:
        name, end = tokens[start], start + 1
        if end < len(tokens) and f"{name} {tokens[end]}" in commands:
            name, end = f"{name} {tokens[end]}", end + 1
        return name, end
    return None, start


def check_command_text(rel, line, snippet, commands):
    tokens = [t for t in re.split(r"\s+", snippet.strip()) if t]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("#"):
            return  # a shell comment
        name = None
        if token == "logoscope" or token.endswith("/logoscope"):
            j = i + 1
            while j < len(tokens) and tokens[j].startswith("-"):  # global options before the command
                option = tokens[j].split("=", 1)[0]
                if option.startswith("--") and option not in commands[""]:
                    fail(rel, line, f"`logoscope {option}`: not an option of logoscope (logoscope --help)")
                j += 1 if "=" in tokens[j] or option in ("-q", "-v", "--quiet", "--verbose") else 2
            name, i = command_at(tokens, j, commands)
        elif i == 0:
            name, i = command_at(tokens, 0, commands)  # a span that starts with a command: `detect --any-logo`
        if name is None:
            i += 1
            continue
        allowed = commands[name] | commands[""] | {"--help"}
        while i < len(tokens) and tokens[i] not in SHELL_STOP and not tokens[i].startswith("#"):
            option = re.match(r"^--[A-Za-z0-9][\w-]*", tokens[i])
            if option:
                option_mentions.append((name, option.group(0)))
            if option and option.group(0) not in allowed:
                fail(rel, line, f"`logoscope {name} {option.group(0)}`: `logoscope {name} --help` has no such option")
            i += 1


def check_options(source, md, commands):
    text = md.read_text(encoding="utf-8")
    rel = md.relative_to(source)
    prose, code = split_fences(text)
    for match in INLINE_CODE.finditer(prose):
        check_command_text(rel, line_of(prose, match.start()), match.group(2), commands)
    joined, first = "", None
    for number, line in code:  # code-block lines, with backslash continuations joined
        if first is None:
            first = number
        if line.rstrip().endswith("\\"):
            joined += line.rstrip()[:-1] + " "
            continue
        check_command_text(rel, first, joined + line, commands)
        joined, first = "", None


def check_cli_table(source, commands):
    md = source / "docs" / "cli.md"
    rows = 0
    for number, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
        match = re.match(r"^\| `(--[\w-]+)` \|.*\| ([^|]+) \|\s*$", line)
        if not match:
            continue
        rows += 1
        option = match.group(1)
        for name in (c.strip() for c in match.group(2).split(",")):
            if name not in commands:
                fail("docs/cli.md", number, f"{option}: `{name}` is not a logoscope command")
            elif option not in commands[name]:
                fail("docs/cli.md", number, f"{option} is listed for `{name}`, whose --help has no such option")
    if rows < 40:
        fail("docs/cli.md", 1, f"only {rows} option rows found in the table; has its layout changed?")


# ----------------------------------------------------------------------------------------- keys
def written_keys(source, places):
    keys = set()
    for place in places:
        path = source / "src" / place
        files = [path] if path.is_file() else sorted(path.glob("*.cpp")) + sorted(path.glob("*.hpp"))
        if not files:
            raise SystemExit(f"src/{place}: nothing to read the JSON keys from")
        for file in files:
            code = file.read_text(encoding="utf-8")
            keys.update(re.findall(r"\{\s*\"([A-Za-z_]\w*)\"\s*,", code))
            for chain in re.findall(r"((?:\[\s*\"[A-Za-z_]\w*\"\s*\])+)\s*=(?!=)", code):
                keys.update(re.findall(r"\"(\w+)\"", chain))
    return keys


def sentences(prose):
    """(line, sentence): table rows whole; list items and paragraphs cut after . ; ! ?"""
    units, current, start = [], [], 0
    lines = prose.split("\n")

    def flush():
        if current:
            units.append((start, ".", " ".join(current)))
            current.clear()

    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("|"):
            flush()
            units.append((number, None, stripped))  # a table row is about its first cell: never cut
        elif not stripped or stripped.startswith("#") or re.match(r"^([-*+]|\d+\.)\s", stripped):
            flush()
            if stripped and not stripped.startswith("#"):
                start, current[:] = number, [stripped]
        else:
            if not current:
                start = number
            current.append(stripped)
    flush()
    out = []
    for number, cut, unit in units:
        if cut is None:
            out.append((number, unit))
            continue
        # Cut at sentence ends outside code spans.
        pieces, last = [], 0
        spans = [m.span() for m in INLINE_CODE.finditer(unit)]
        for m in re.finditer(r"[.;!?]\s+", unit):
            if any(a <= m.start() < b for a, b in spans):
                continue
            pieces.append(unit[last:m.end()])
            last = m.end()
        pieces.append(unit[last:])
        out.extend((number, piece) for piece in pieces if piece.strip())
    return out


KEY_GAP = 25  # at most this many characters between a file's name and its key, or between keys


def key_token(span):
    token = span.group(2).strip()
    quoted = re.match(r'^"(\w+)"\s*:', token)  # `"complete": false`
    return quoted.group(1) if quoted else token


def check_keys(source, md, keys_by_file, commands):
    """In a table row whose first cell names the file, every key-like span of the row is one of
    its keys. Elsewhere a key follows the file's name closely (`model.json` `min_confidence`,
    model.json records `training.base_model` and `training.start`), so that a label name later in
    the sentence is not taken for a key."""
    rel = md.relative_to(source)
    prose, _ = split_fences(md.read_text(encoding="utf-8"))
    command_words = {name for name in commands if name and " " not in name}
    file_name = re.compile(r"\b(model\.json|summary\.json)\b")
    checked = 0

    def check(number, name, token):
        nonlocal checked
        checked += 1
        for part in token.split("."):
            if part not in keys_by_file[name]:
                fail(rel, number, f"`{token}` ({name}): src/ writes no key \"{part}\" into {name} "
                                  f"(looked in src/{{{','.join(KEY_SOURCES[name])}}})")
                return

    def is_key(token):
        return KEY_LIKE.match(token) and not token.endswith(FILE_EXTENSIONS) and token not in command_words

    for number, sentence in sentences(prose):
        if sentence.startswith("|"):
            cells = sentence.strip("|").split(" | ")
            first = file_name.search(cells[0])
            if first and not file_name.search(cells[0], first.end()):
                for span in INLINE_CODE.finditer(" | ".join(cells[1:])):
                    if is_key(key_token(span)):
                        check(number, first.group(1), key_token(span))
                continue
        name, anchor = None, 0
        for piece in re.finditer(r"\b(model\.json|summary\.json)\b|(`+)(.+?)\2", sentence, re.S):
            token = piece.group(1) or piece.group(3).strip()
            if token in KEY_SOURCES:  # a file's name, `model.json` or model.json: keys may follow
                name, anchor = token, piece.end()
                continue
            quoted = re.match(r'^"(\w+)"\s*:', token)  # `"complete": false`
            token = quoted.group(1) if quoted else token
            gap = sentence[anchor:piece.start()].strip(" ()\n")
            if name and len(gap) <= KEY_GAP and is_key(token):
                check(number, name, token)
                anchor = piece.end()
            else:
                name = None  # something else came between: the file's keys are over
    return checked


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    logoscope, source = os.path.abspath(sys.argv[1]), Path(sys.argv[2]).resolve()
    docs = sorted((source / "docs").glob("*.md"))
    if len(docs) < 10:
        raise SystemExit(f"{source}/docs: expected the documentation here")
    pages = [source / "README.md", *docs]

    for md in [*pages, source / "BENCHMARKS.md"]:
        check_links(source, md)

    commands = cli_vocabulary(logoscope)
    for md in pages:
        check_options(source, md, commands)
    check_cli_table(source, commands)
    if len(option_mentions) < 50:
        fail("docs", 0, f"only {len(option_mentions)} options found after `logoscope COMMAND`; is the check broken?")

    keys_by_file = {name: written_keys(source, places) for name, places in KEY_SOURCES.items()}
    checked = sum(check_keys(source, md, keys_by_file, commands) for md in pages)
    if checked < 5:
        fail("docs", 0, f"only {checked} model.json/summary.json keys found in the docs; is the key check broken?")

    for failure in failures:
        print(failure)
    print(f"docs_test: {len(pages)} pages, {len(commands) - 1} commands, {len(option_mentions)} options and "
          f"{checked} JSON keys checked, "
          f"{len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
