#!/usr/bin/env python3
"""No function in src/ runs over 80 lines unless a comment right above it says why ("Long: ..."),
or it is one of the long functions listed, with their length then, in long_functions.txt: that list
only shrinks (a listed function that grows, or a new long one, fails; one that was split must leave
the list).

A function is found the way this code base lays functions out (docs/STYLE): its signature starts
at column 0 (namespaces are not indented), its body opens with "{" at the end of the signature's
last line and closes with "}" at column 0. Member functions defined inside a class body and
lambdas are counted as part of what holds them. The length is the lines from the signature's
first line to the closing brace.

Usage: function_length_test.py SOURCE_ROOT [--list]   (--list prints every function over the limit)
"""
import re
import sys
from pathlib import Path

LIMIT = 80
NOT_FUNCTIONS = re.compile(r"^(namespace|struct|class|enum|union|extern|using|typedef|template\s*<[^>]*>\s*(struct|class))\b")
REASON = re.compile(r"//.*\bLong:")


def functions(path):
    """(first line, last line, signature) of each function defined at column 0, 1-based."""
    lines = path.read_text(errors="replace").split("\n")
    found = []
    i = 0
    while i < len(lines):
        line = lines[i]
        starts = (line and not line[0].isspace() and not line.startswith(("#", "//", "/*", "*", "}", ")"))
                  and not NOT_FUNCTIONS.match(line))
        if not starts:
            i += 1
            continue
        # The signature runs until a line that ends with "{" (a definition) or ";" (a declaration).
        end = i
        while end < len(lines) and end < i + 8:
            text = lines[end].split("//")[0].rstrip()
            if text.endswith("{") or text.endswith(";") or text.endswith("}"):
                break
            end += 1
        signature = " ".join(part.strip() for part in lines[i:end + 1])
        head = signature.split("(")[0]
        if end >= len(lines) or not lines[end].split("//")[0].rstrip().endswith("{") or "(" not in signature \
                or "=" in head:
            i = end + 1
            continue
        close = end + 1
        while close < len(lines) and not lines[close].startswith("}"):
            close += 1
        found.append((i + 1, close + 1, re.sub(r"\s+", " ", signature)[:100]))
        i = close + 1
    return found, lines


def reason_above(lines, first):
    """True when the comment block directly above line `first` (1-based) holds "Long:"."""
    k = first - 2
    while k >= 0 and lines[k].lstrip().startswith("//"):
        if REASON.search(lines[k]):
            return True
        k -= 1
    return False


def function_name(signature):
    """The qualified name before the parameter list: "ExposureCounter::report"."""
    return signature.split("(")[0].split()[-1].lstrip("*&")


def listed_functions():
    """{(path, name): (lines, why)} from long_functions.txt: PATH NAME LINES WHY…"""
    listed = {}
    for number, line in enumerate((Path(__file__).parent / "long_functions.txt").read_text().split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(None, 3)
        if len(fields) < 4 or not fields[2].isdigit():
            sys.exit(f"long_functions.txt:{number}: expected PATH NAME LINES WHY, got: {line}")
        listed[(fields[0], fields[1])] = (int(fields[2]), fields[3])
    return listed


def main():
    root = Path(sys.argv[1]) / "src"
    list_all = "--list" in sys.argv
    problems = []
    count = 0
    listed = listed_functions()
    seen = set()
    for path in sorted(root.rglob("*.[ch]pp")):
        found, lines = functions(path)
        count += len(found)
        for first, last, signature in found:
            length = last - first + 1
            if length <= LIMIT:
                continue
            key = (str(path.relative_to(root.parent)), function_name(signature))
            explained = reason_above(lines, first)
            mark = "explained" if explained else "NO REASON"
            if not explained and key in listed:
                seen.add(key)
                mark = "listed" if length <= listed[key][0] else f"GREW from {listed[key][0]}"
            if list_all or mark not in ("explained", "listed"):
                problems.append((length, f"{path.relative_to(root.parent)}:{first}", mark, signature))
    problems.sort(reverse=True)
    for length, where, mark, signature in problems:
        print(f"{length:4d} lines  {where}  {mark}  {signature}")
    unexplained = [p for p in problems if p[2] not in ("explained", "listed")]
    gone = sorted(set(listed) - seen)
    for path, name in gone:
        print(f"FAIL long_functions.txt lists {path} {name}, which is no longer over {LIMIT} lines (or gone): "
              "take it off the list")
    if count < 500:
        print(f"FAIL found only {count} functions in {root}: the scan no longer matches the layout")
        return 1
    if unexplained:
        print(f"FAIL {len(unexplained)} functions over {LIMIT} lines without a '// Long: why' comment above them, "
              "or longer than long_functions.txt allows (split them into named steps, or say why they are one piece)")
        return 1
    if gone:
        return 1
    print(f"ok: {count} functions in src/; over {LIMIT} lines: {len(seen)} listed in long_functions.txt (to split), "
          "the rest with a reason above them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
