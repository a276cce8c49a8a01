#!/usr/bin/env python3
"""check_doc_samples.py - compile every C code sample of the docs, so they
cannot rot. Run by ctest as doc_samples_compile.

    check_doc_samples.py --cc CC --abi-include DIR --include DIR...
                         --lib-dir DIR FILE.md|FOLDER...

(a FOLDER stands for every *.md file in it).

The convention (docs/writing-a-backend.md repeats it for authors):
  * only fenced blocks marked ```c are compiled (```sh, ```text, ```json are
    not); every ```c block is, there is no opt-out;
  * a block that defines main() is a program: compiled and linked against
    libbackplane;
  * a block that includes <backplane/bp_abi.h> and not backplane.h is plugin
    code: a translation unit compiled on its own (-fPIC -c) against the ABI
    headers only, as a plugin is;
  * any other block is a snippet of application code: its #include lines go
    to the top and the rest becomes the body of main(), with <stdio.h>,
    <stdlib.h>, <string.h> and <stdint.h> included; it is compiled and
    linked against libbackplane.
Each is compiled as C11 with -Wall -Wextra -Werror (unused names allowed).
Exit status 0 when all compile, 1 otherwise; each failure names the file and
the line the block starts on.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(\S*)\s*$")
PRELUDE = "#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"


def blocks(path):
    """(first line number, text) of each ```c block."""
    lang, start, lines = None, 0, []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = FENCE.match(line.rstrip("\n"))
            if lang is None and m and m.group(1):
                lang, start, lines = m.group(1), n + 1, []
            elif lang is not None and line.strip() == "```":
                if lang == "c":
                    yield start, "".join(lines)
                lang = None
            elif lang is not None:
                lines.append(line)


def kind(code):
    if re.search(r"\bmain\s*\(", code):
        return "program"
    if "backplane/bp_abi.h" in code and "backplane/backplane.h" not in code:
        return "plugin"
    return "snippet"


def source(code, k, where):
    head = f'#line 1 "{where}"\n'
    if k != "snippet":
        return head + code
    includes = [l for l in code.splitlines() if l.lstrip().startswith("#include")]
    body = [l if not l.lstrip().startswith("#include") else "" for l in code.splitlines()]
    return (PRELUDE + "\n".join(includes) + "\nint main(void) {\n" + head
            + "\n".join(body) + "\n  return 0;\n}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--abi-include", required=True, help="abi/include: all plugin code sees")
    ap.add_argument("--include", action="append", default=[])
    ap.add_argument("--lib-dir", required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    flags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-variable",
             "-Wno-unused-function", "-Wno-unused-but-set-variable", "-Wno-unused-parameter"]
    failures = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for p in args.files:
            files += (sorted(os.path.join(p, n) for n in os.listdir(p) if n.endswith(".md"))
                      if os.path.isdir(p) else [p])
        for path in files:
            for line, code in blocks(path):
                total += 1
                k = kind(code)
                where = f"{os.path.relpath(path)}:{line}"
                src = os.path.join(tmp, f"sample{total}.c")
                with open(src, "w") as f:
                    f.write(source(code, k, where))
                if k == "plugin":
                    cmd = [args.cc, *flags, "-fPIC", "-c", src, "-o", src + ".o",
                           "-I", args.abi_include]
                else:
                    cmd = [args.cc, *flags, src, "-o", src + ".out",
                           f"-I{args.abi_include}", *[f"-I{d}" for d in args.include],
                           f"-L{args.lib_dir}", f"-Wl,-rpath,{args.lib_dir}", "-lbackplane"]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode:
                    failures += 1
                    print(f"FAIL {where} ({k}):\n{r.stderr}")
                else:
                    print(f"ok   {where} ({k})")
    print(f"{total - failures} of {total} code samples compile")
    if total == 0:
        print("no ```c blocks found: is the path right?")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
