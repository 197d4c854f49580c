#!/usr/bin/env python3
"""The IAM policies of maskfleet's manager and workers, from deploy/aws/iam-actions.json.

    iam_policies.py write              writes the policy statements into maskfleet.yaml
    iam_policies.py check              fails (exit 1, with a diff) when maskfleet.yaml's
                                       statements differ from what the list gives
    iam_policies.py moto ROLE --value ImagesBucket=B --value ImagesPrefix=images/
                                       prints the moto-flavoured policy of ROLE (manager
                                       or worker) as JSON

The template's statements sit between `# BEGIN ROLE statements` and `# END ROLE
statements` lines; everything else in the template is written by hand.

moto's IAM checks actions and S3 resource ARNs only (other services match `*` alone,
conditions are ignored, CloudWatch is `monitoring:`), so the moto flavour keeps every
action, makes S3 ARNs concrete from --value, turns every other resource into `*` and
drops the conditions. The actions are therefore exactly the production ones.
"""
import argparse
import difflib
import json
import pathlib
import re
import sys
import textwrap

HERE = pathlib.Path(__file__).resolve().parent
ACTIONS = HERE / "iam-actions.json"
TEMPLATE = HERE / "maskfleet.yaml"
ROLES = ("manager", "worker")
SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def load_actions(path=ACTIONS):
    return json.loads(pathlib.Path(path).read_text())


def statements(actions, role):
    """The role's statements as plain dicts: sid, why, actions, arns, conditions."""
    if role not in actions["roles"]:
        raise KeyError(f"no role '{role}' in {ACTIONS.name} (roles: {', '.join(actions['roles'])})")
    out = []
    for statement in actions["roles"][role]:
        kind = statement["resources"]
        if kind not in actions["resources"]:
            raise KeyError(f"{role}/{statement['sid']}: unknown resource kind '{kind}'")
        out.append({"sid": statement["sid"], "why": statement["why"],
                    "actions": list(statement["actions"]),
                    "arns": list(actions["resources"][kind]["arns"]),
                    "conditions": statement.get("conditions", {})})
    return out


def _scalar(value):
    """A YAML scalar: Fn::Sub when the string names a parameter or resource."""
    text = json.dumps(value)
    return f"!Sub {text}" if "${" in value else text


def cfn_block(actions, role, indent):
    """The YAML lines of the role's statements, `indent` spaces deep, comments first."""
    pad = " " * indent
    lines = []
    for s in statements(actions, role):
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


def _markers(role):
    return (re.compile(rf"^( *)# BEGIN {role} statements\b"),
            re.compile(rf"^ *# END {role} statements\b"))


def render_template(template_text, actions):
    """The template with every role's block rewritten from the list."""
    lines = template_text.splitlines()
    for role in ROLES:
        begin_re, end_re = _markers(role)
        begins = [i for i, line in enumerate(lines) if begin_re.match(line)]
        ends = [i for i, line in enumerate(lines) if end_re.match(line)]
        if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
            raise ValueError(f"the template needs exactly one '# BEGIN {role} statements' "
                             f"line followed by one '# END {role} statements' line")
        indent = len(begin_re.match(lines[begins[0]]).group(1))
        lines[begins[0] + 1:ends[0]] = cfn_block(actions, role, indent)
    return "\n".join(lines) + "\n"


def moto_policy(actions, role, values):
    """The moto-flavoured policy document of `role`; `values` fills S3 ARNs' variables."""
    values = {"AWS::Partition": "aws", **values}

    def concrete(arn):
        def fill(match):
            name = match.group(1)
            if name not in values:
                raise KeyError(f"{role}: the S3 resource {arn} needs a value for {name}")
            return values[name]
        return SUB_VARIABLE.sub(fill, arn)

    document = {"Version": "2012-10-17", "Statement": []}
    for s in statements(actions, role):
        s3 = [arn for arn in s["arns"] if ":s3:::" in arn]
        document["Statement"].append({
            "Sid": s["sid"], "Effect": "Allow",
            "Action": [re.sub(r"^cloudwatch:", "monitoring:", a) for a in s["actions"]],
            "Resource": [concrete(arn) for arn in s3] if s3 else ["*"],
        })
    return document


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", default=str(ACTIONS), help="the action list (JSON)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("write", "check"):
        p = sub.add_parser(name)
        p.add_argument("--template", default=str(TEMPLATE))
    p = sub.add_parser("moto")
    p.add_argument("role", choices=ROLES)
    p.add_argument("--value", action="append", default=[], metavar="NAME=VALUE",
                   help="a variable of the S3 ARNs, e.g. ImagesBucket=maskfleet-test")
    args = parser.parse_args(argv)
    actions = load_actions(args.actions)

    if args.command == "moto":
        values = dict(v.split("=", 1) for v in args.value)
        json.dump(moto_policy(actions, args.role, values), sys.stdout, indent=2)
        print()
        return 0

    template = pathlib.Path(args.template)
    current = template.read_text()
    wanted = render_template(current, actions)
    if args.command == "write":
        if wanted != current:
            template.write_text(wanted)
            print(f"{template}: policy statements rewritten")
        return 0
    if wanted != current:
        sys.stdout.writelines(difflib.unified_diff(
            current.splitlines(keepends=True), wanted.splitlines(keepends=True),
            f"{template} (as it is)", f"{template} (from {pathlib.Path(args.actions).name})"))
        print(f"{template}: IAM statements drifted from {args.actions}; "
              f"run deploy/aws/iam_policies.py write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
