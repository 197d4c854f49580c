#!/usr/bin/env python3
"""Writes the IAM statements of deploy/aws/maskfleet.yaml from the action list.

    iam_policies.py write    writes the manager's and the workers' statements into
                             maskfleet.yaml
    iam_policies.py check    fails (exit 1) when maskfleet.yaml's statements are not
                             what the two files below give, printing the difference

deploy/aws/iam-actions.toml is the one list of the actions each role calls; the test
bed's moto users are made from it too (tests/aws/moto_bed.py). deploy/aws/iam-scopes.toml
puts those actions into statements with their resources and conditions, and may add
none: a role whose actions in the two files differ is an error, so an action added to
the list fails here until it is scoped, and the template cannot grant one the list
does not have.

The template's statements sit between `# BEGIN ROLE statements` and `# END ROLE
statements` lines; everything else in the template is written by hand.
"""
import argparse
import difflib
import json
import pathlib
import re
import sys
import textwrap
import tomllib

HERE = pathlib.Path(__file__).resolve().parent
ACTIONS = HERE / "iam-actions.toml"
SCOPES = HERE / "iam-scopes.toml"
TEMPLATE = HERE / "maskfleet.yaml"
ROLES = ("manager", "worker")


class ListError(Exception):
    """The action list and the scopes disagree, or the template has no place for a role."""


def load(path):
    return tomllib.loads(pathlib.Path(path).read_text())


def statements(actions, scopes, role):
    """The role's statements (sid, why, actions, arns, conditions), checked against the list."""
    listed = actions.get(role, {}).get("actions")
    if listed is None:
        raise ListError(f"the action list has no [{role}] actions")
    out = []
    for statement in scopes.get(role, []):
        kind = statement["resources"]
        if kind not in scopes["resources"]:
            raise ListError(f"{role}/{statement['sid']}: unknown resource set '{kind}'")
        out.append({"sid": statement["sid"], "why": statement["why"],
                    "actions": list(statement["actions"]),
                    "arns": list(scopes["resources"][kind]),
                    "conditions": statement.get("conditions", {})})
    scoped = {a for s in out for a in s["actions"]}
    unscoped = sorted(set(listed) - scoped)
    unlisted = sorted(scoped - set(listed))
    problems = []
    if unscoped:
        problems.append(f"{role}: in the action list but in no statement of the scopes: {', '.join(unscoped)}")
    if unlisted:
        problems.append(f"{role}: in the scopes but not in the action list: {', '.join(unlisted)}")
    if problems:
        raise ListError("; ".join(problems))
    return out


def _scalar(value):
    """A YAML scalar: Fn::Sub when the string names a parameter or resource."""
    text = json.dumps(value)
    return f"!Sub {text}" if "${" in value else text


def cfn_block(actions, scopes, role, indent):
    """The YAML lines of the role's statements, `indent` spaces deep, each after its reason."""
    pad = " " * indent
    lines = []
    for s in statements(actions, scopes, role):
        for line in textwrap.wrap(s["why"], width=max(40, 88 - indent - 2)):
            lines.append(f"{pad}# {line}")
        lines.append(f"{pad}- Sid: {s['sid']}")
        lines.append(f"{pad}  Effect: Allow")
        lines.append(f"{pad}  Action:")
        lines += [f"{pad}    - {action}" for action in s["actions"]]
        lines.append(f"{pad}  Resource:")
        lines += [f"{pad}    - {_scalar(arn)}" for arn in s["arns"]]
        if s["conditions"]:
            lines.append(f"{pad}  Condition:")
            for operator, keys in s["conditions"].items():
                lines.append(f"{pad}    {operator}:")
                for key, value in keys.items():
                    if isinstance(value, list):
                        lines.append(f"{pad}      {json.dumps(key)}:")
                        lines += [f"{pad}        - {_scalar(v)}" for v in value]
                    else:
                        lines.append(f"{pad}      {json.dumps(key)}: {_scalar(value)}")
    return lines


def render_template(template_text, actions, scopes):
    """The template with every role's statements rewritten."""
    lines = template_text.splitlines()
    for role in ROLES:
        begin_re = re.compile(rf"^( *)# BEGIN {role} statements\b")
        end_re = re.compile(rf"^ *# END {role} statements\b")
        begins = [i for i, line in enumerate(lines) if begin_re.match(line)]
        ends = [i for i, line in enumerate(lines) if end_re.match(line)]
        if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
            raise ListError(f"the template needs one '# BEGIN {role} statements' line "
                            f"followed by one '# END {role} statements' line")
        indent = len(begin_re.match(lines[begins[0]]).group(1))
        lines[begins[0] + 1:ends[0]] = cfn_block(actions, scopes, role, indent)
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["write", "check"])
    parser.add_argument("--actions", default=str(ACTIONS), help="the action list (TOML)")
    parser.add_argument("--scopes", default=str(SCOPES), help="the statements' scopes (TOML)")
    parser.add_argument("--template", default=str(TEMPLATE), help="the CloudFormation template")
    args = parser.parse_args(argv)

    template = pathlib.Path(args.template)
    current = template.read_text()
    try:
        wanted = render_template(current, load(args.actions), load(args.scopes))
    except ListError as error:
        print(f"iam_policies.py: {error}", file=sys.stderr)
        return 1
    if args.command == "write":
        if wanted != current:
            template.write_text(wanted)
            print(f"{template}: IAM statements rewritten")
        return 0
    if wanted != current:
        sys.stdout.writelines(difflib.unified_diff(
            current.splitlines(keepends=True), wanted.splitlines(keepends=True),
            f"{template} (as it is)", f"{template} (from the action list)"))
        print(f"{template}: its IAM statements drifted from the action list; "
              f"run deploy/aws/iam_policies.py write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
