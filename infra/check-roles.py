#!/usr/bin/env python3
"""Each function's role in infra/template.yaml grants exactly the DynamoDB,
SES and CodeBuild actions infra/function-calls.json says the function calls.

functions/tests/roles.rs records those calls (an SDK interceptor, stories
through every route and the purge, DynamoDB Local) and fails when the file
is not what it recorded; this check needs no build and no DynamoDB, so a
role edited alone fails `infra/check.sh` too.

    check-roles.py [TEMPLATE]        default: infra/template.yaml
"""
import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
CALLS = ROOT / "infra" / "function-calls.json"
FUNCTION_TYPES = {"AWS::Serverless::Function", "AWS::Lambda::Function"}
# The services whose calls functions/tests/roles.rs records.
SERVICES = ("dynamodb:", "ses:", "codebuild:")


class TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (!Ref, !GetAtt, ...) as what they wrap."""


def _tagged(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {"tag": tag_suffix, "value": loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {"tag": tag_suffix, "value": loader.construct_sequence(node, deep=True)}
    return {"tag": tag_suffix, "value": loader.construct_mapping(node, deep=True)}


TemplateLoader.add_multi_constructor("!", _tagged)


def role_of(function):
    role = (function.get("Properties") or {}).get("Role")
    if not isinstance(role, dict) or role.get("tag") != "GetAtt":
        return None
    target = role["value"]
    if isinstance(target, list):
        return target[0]
    return target.removesuffix(".Arn")


def granted(role):
    actions = set()
    for policy in (role.get("Properties") or {}).get("Policies") or []:
        for statement in (policy.get("PolicyDocument") or {}).get("Statement") or []:
            if statement.get("Effect") != "Allow":
                continue
            action = statement.get("Action")
            for one in [action] if isinstance(action, str) else action or []:
                if one.startswith(SERVICES):
                    actions.add(one)
    return actions


def problems(template, calls):
    resources = template.get("Resources") or {}
    found = []
    functions = {name: r for name, r in resources.items() if r.get("Type") in FUNCTION_TYPES}
    for name in sorted(functions):
        if name not in calls:
            found.append(f"{name} is not in infra/function-calls.json: run AGORA_WRITE_FIXTURES=1 cargo test -p agora-functions --test roles")
            continue
        role_name = role_of(functions[name])
        role = resources.get(role_name) if role_name else None
        if role is None:
            found.append(f"{name} names no role of its own (Role: !GetAtt SomeRole.Arn)")
            continue
        allowed, used = granted(role), set(calls[name])
        for action in sorted(used - allowed):
            found.append(f"{name} calls {action}, which its role {role_name} does not grant (AccessDenied in AWS)")
        for action in sorted(allowed - used):
            found.append(f"{name}'s role {role_name} grants {action}, which the function never calls")
    for name in sorted(set(calls) - set(functions)):
        found.append(f"infra/function-calls.json names {name}, which the template does not deploy")
    return found


def main():
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "infra" / "template.yaml"
    template = yaml.load(path.read_text(encoding="utf-8"), Loader=TemplateLoader)
    calls = json.loads(CALLS.read_text(encoding="utf-8"))
    found = problems(template, calls)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        return 1
    print(f"each of {len(calls)} roles grants exactly what its function calls (infra/function-calls.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
