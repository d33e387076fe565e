#!/usr/bin/env python3
"""Every function infra/template.yaml deploys is a binary of functions/, and
every binary of functions/ is deployed.

A Rust function's package is `CodeUri: ../target/lambda-package/<name>`
(infra/build-functions.sh lays it out from functions/src/bin/<name>.rs).
Reads the template as text: its CloudFormation tags need no YAML loader.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
BINS = ROOT / "functions" / "src" / "bin"


def main() -> int:
    text = TEMPLATE.read_text(encoding="utf-8")
    problems = []
    named = []
    for uri in re.findall(r"^\s+CodeUri:\s*(\S+)\s*$", text, re.M):
        match = re.fullmatch(r"\.\./target/lambda-package/([a-z0-9_-]+)", uri.strip("\"'"))
        if not match:
            problems.append(f"CodeUri {uri}: not ../target/lambda-package/<binary>")
            continue
        named.append(match.group(1))
    functions = len(re.findall(r"^\s+Type:\s*AWS::Serverless::Function\s*$", text, re.M))
    if functions != len(named):
        problems.append(f"{functions} AWS::Serverless::Function resources but {len(named)} CodeUri lines")
    binaries = sorted(p.stem for p in BINS.glob("*.rs"))
    for name in named:
        if name not in binaries:
            problems.append(f"the template deploys `{name}`, but functions/src/bin/{name}.rs does not exist")
    for name in binaries:
        if name not in named:
            problems.append(f"functions/src/bin/{name}.rs is not deployed by infra/template.yaml")
    if len(set(named)) != len(named):
        problems.append(f"a binary is deployed twice: {named}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"the template deploys {len(named)} functions, each a binary of functions/: {', '.join(sorted(named))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
