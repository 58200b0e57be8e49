#!/usr/bin/env python3
"""Layering, checked: a source file in src/ includes a module's header ("storage/s3_client.hpp")
only when its own library links that module, directly or through the libraries it links.

Every `add_library` in src/*/CMakeLists.txt and its sources, and every `target_link_libraries`
between logoscope_* libraries, make the graph (docs/architecture.md draws it). Header-only folders
and the public headers (include/logoscope/) are open to all. A file the graph does not allow is
reported with its line, so that a new dependency is declared in CMake (and shown in the docs)
before it is used, instead of compiling only because src/ is one include folder.

Usage: layering_test.py SOURCE_DIR
"""
import re
import sys
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
SRC = ROOT / "src"


def commands(text, name):
    """The argument lists of every NAME(...) call, comments removed, as lists of words."""
    text = re.sub(r"#[^\n]*", "", text)
    found = []
    for match in re.finditer(r"\b%s\s*\(" % name, text):
        depth, i = 1, match.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        found.append(text[match.end():i - 1].split())
    return found


def main():
    owner = {}   # source path (relative to src/) -> target
    folder_targets = {}  # folder -> targets declared there
    links = {}   # target -> linked logoscope targets
    for cmake in sorted(SRC.glob("*/CMakeLists.txt")):
        folder = cmake.parent.name
        text = cmake.read_text()
        # set(VAR logoscope_a logoscope_b): lists of libraries named once and linked by ${VAR}.
        variables = {words[0]: words[1:] for words in commands(text, "set") if words}
        text = re.sub(r"\$\{(\w+)\}", lambda m: " ".join(variables.get(m.group(1), [m.group(0)])), text)
        for words in commands(text, "add_library"):
            target = words[0]
            folder_targets.setdefault(folder, set()).add(target)
            links.setdefault(target, set())
            for word in words[1:]:
                if word.endswith((".cpp", ".cc")):
                    owner[f"{folder}/{word}"] = target
        for words in commands(text, "target_link_libraries"):
            target = words[0]
            links.setdefault(target, set()).update(w for w in words[1:] if w.startswith("logoscope_"))
    # The CLI and the program are executables or libraries too; files of a folder no library
    # claims (headers only) are not checked as includers.

    def closure(target):
        seen, todo = {target}, [target]
        while todo:
            for linked in links.get(todo.pop(), ()):
                if linked not in seen:
                    seen.add(linked)
                    todo.append(linked)
        return seen

    reach = {target: closure(target) for target in links}
    problems = []
    checked = 0
    for path in sorted(SRC.rglob("*")):
        if path.suffix not in (".cpp", ".hpp", ".h") or "web" in path.parts:
            continue
        relative = path.relative_to(SRC).as_posix()
        folder = relative.split("/")[0]
        if path.suffix == ".cpp":
            targets = {owner[relative]} if relative in owner else set()
        elif relative[:-len(path.suffix)] + ".cpp" in owner:
            # A header with its own source belongs to that source's library.
            targets = {owner[relative[:-len(path.suffix)] + ".cpp"]}
        else:
            # A header without one is used by its folder's libraries: it may include what any of
            # them reaches.
            targets = folder_targets.get(folder, set())
        if not targets:
            continue
        allowed_targets = set().union(*(reach[t] for t in targets))
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            match = re.match(r'\s*#\s*include\s+"(([a-z_]+)/[^"]+)\.(hpp|h)"', line)
            if not match:
                continue
            checked += 1
            used = match.group(2)
            source_owner = owner.get(match.group(1) + ".cpp")
            if used == folder:
                # Its own folder: a header whose source is in another library of the folder
                # (ui/ui_server.hpp from ui/project.cpp) must be reached too.
                if source_owner and source_owner not in allowed_targets:
                    problems.append(f"src/{relative}:{number}: includes {match.group(1)}.{match.group(3)} but "
                                    f"{', '.join(sorted(targets))} does not link {source_owner}")
                continue
            if used not in folder_targets:
                continue  # header-only, or public (logoscope/)
            if not (folder_targets[used] & allowed_targets):
                problems.append(f"src/{relative}:{number}: includes {used}/ but {', '.join(sorted(targets))} "
                                f"links none of {', '.join(sorted(folder_targets[used]))}")
    if len(links) < 20 or checked < 300 or "logoscope_storage" in reach.get("logoscope_core", {"logoscope_storage"}):
        problems.append(f"the graph was not read: {len(links)} libraries, {checked} includes (src/*/CMakeLists.txt changed shape?)")
    for problem in problems:
        print("FAIL " + problem)
    print(f"layering: {checked} includes in src/ checked against {len(links)} libraries; {len(problems)} not declared")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
