#!/usr/bin/env python3
"""Every function of infra/template.yaml that answers HTTP requests is
deployed by a canary that rolls back on its own errors, and no other
function is.

An HTTP function (one with HttpApi events) has `AutoPublishAlias: live`
(its routes then call the alias) and a `DeploymentPreference` whose Type
is a canary or linear shift and whose Alarms are the API's 5xx alarm and
an alarm on the errors of the version being deployed alone: AWS/Lambda
Errors with the dimensions FunctionName (!Ref the function), Resource
(!Sub "${Function}:live") and ExecutedVersion (!GetAtt
Function.Version.Version). An alarm on the whole function would count the
old version's errors too. A function started by a schedule or SNS has no
traffic to shift, and no DeploymentPreference.

    check-canaries.py [TEMPLATE]        default: infra/template.yaml
"""
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
ALIAS = "live"
API_ALARM = "Api5xxAlarm"


class TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (!Ref, !GetAtt, ...) as what they wrap."""


def _tagged(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {"tag": tag_suffix, "value": loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {"tag": tag_suffix, "value": loader.construct_sequence(node, deep=True)}
    return {"tag": tag_suffix, "value": loader.construct_mapping(node, deep=True)}


TemplateLoader.add_multi_constructor("!", _tagged)


def ref(value):
    return value.get("value") if isinstance(value, dict) and value.get("tag") == "Ref" else None


def watches_new_version(alarm, function):
    props = alarm.get("Properties") or {}
    dims = {d.get("Name"): d.get("Value") for d in props.get("Dimensions") or [] if isinstance(d, dict)}
    wanted = {
        "FunctionName": {"tag": "Ref", "value": function},
        "Resource": {"tag": "Sub", "value": f"${{{function}}}:{ALIAS}"},
        "ExecutedVersion": {"tag": "GetAtt", "value": f"{function}.Version.Version"},
    }
    return (props.get("Namespace") == "AWS/Lambda" and props.get("MetricName") == "Errors"
            and dims == wanted)


def problems(template):
    resources = template.get("Resources") or {}
    found = []
    for name, resource in sorted(resources.items()):
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        events = props.get("Events") or {}
        http = any((e or {}).get("Type") == "HttpApi" for e in events.values())
        preference = props.get("DeploymentPreference")
        if not http:
            if preference is not None:
                found.append(f"{name} answers no HTTP request, so a DeploymentPreference has no traffic to shift")
            continue
        if props.get("AutoPublishAlias") != ALIAS:
            found.append(f"{name} answers HTTP requests but has no `AutoPublishAlias: {ALIAS}`")
        if not isinstance(preference, dict):
            found.append(f"{name} answers HTTP requests but has no DeploymentPreference (a canary)")
            continue
        kind = preference.get("Type")
        if not isinstance(kind, str) or not kind.startswith(("Canary", "Linear")):
            found.append(f"{name}'s DeploymentPreference Type is {kind!r}, not a canary or linear shift")
        alarms = [ref(a) for a in preference.get("Alarms") or []]
        if API_ALARM not in alarms:
            found.append(f"{name}'s canary does not watch {API_ALARM}")
        if not any(a and watches_new_version(resources.get(a) or {}, name) for a in alarms):
            found.append(f"{name}'s canary watches no alarm on the errors of the version being deployed "
                         f"(AWS/Lambda Errors by FunctionName, Resource {name}:{ALIAS} and ExecutedVersion)")
    return found


def main():
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "infra" / "template.yaml"
    template = yaml.load(path.read_text(encoding="utf-8"), Loader=TemplateLoader)
    found = problems(template)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        return 1
    functions = [n for n, r in (template.get("Resources") or {}).items()
                 if (r.get("Properties") or {}).get("DeploymentPreference")]
    print(f"{len(functions)} HTTP functions deploy by a canary watching their new version's errors "
          f"and the API's 5xx: {', '.join(sorted(functions))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
