"""The CloudFormation template of deploy/aws: cfn-lint passes, the deployment checklist
holds (security groups, target group, launch template, bucket, database), the IAM
statements are the action list's, and the configuration in the user data is the one
documented in docs/aws.md, with no secret in it."""
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib

import pytest
from cfnlint.decode import decode_str

from conftest import REPO

KIT = REPO / "deploy" / "aws"
TEMPLATE = KIT / "maskfleet.yaml"
POLICIES = KIT / "iam_policies.py"
CFN_LINT = pathlib.Path(sys.executable).parent / "cfn-lint"

# The [aws] settings of the AWS mode, as docs/aws.md and docs/configuration.md name them.
AWS_KEYS = {"region", "launch_template", "image_id", "instance_type", "subnets", "security_group",
            "target_group_arn", "load_balancer_arn", "bucket", "prefix", "metric_namespace", "pool_name",
            "max_instances", "database_secret_arn"}


def plain(node):
    """cfn-lint's decoded nodes as plain dicts and lists."""
    return json.loads(json.dumps(node))


def decode(text):
    template, problems = decode_str(text)
    assert not problems, problems
    return plain(template)


@pytest.fixture(scope="module")
def template():
    return decode(TEMPLATE.read_text())


@pytest.fixture(scope="module")
def resources(template):
    return template["Resources"]


def lint(path):
    return subprocess.run([str(CFN_LINT), str(path)], capture_output=True, text=True, timeout=600)


def test_cfn_lint_passes_on_the_template():
    result = lint(TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_refuses_a_broken_copy(tmp_path):
    # The linter really checks this template: a health check every 2 s (AWS allows 5..300)
    # and a target group without its VPC are reported.
    broken = TEMPLATE.read_text().replace("HealthCheckIntervalSeconds: 10", "HealthCheckIntervalSeconds: 2")
    broken = broken.replace("      VpcId: !Ref Vpc\n      TargetType: instance", "      TargetType: instance")
    assert broken != TEMPLATE.read_text()
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    result = lint(path)
    assert result.returncode != 0
    assert "HealthCheckIntervalSeconds" in result.stdout or "2 is less than" in result.stdout, result.stdout


# --- IAM: one action list, no drift -------------------------------------------------------

def run_policies(*args):
    return subprocess.run([sys.executable, str(POLICIES), *args], capture_output=True, text=True)


def toml_file(data):
    """TOML text of the action list's shape: tables of string lists."""
    return "".join(f"[{role}]\nactions = {json.dumps(table['actions'])}\n" for role, table in data.items())


def test_template_statements_are_the_action_lists():
    result = run_policies("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_edited_template_statement_is_drift(tmp_path):
    edited = tmp_path / "maskfleet.yaml"
    text = TEMPLATE.read_text()
    assert text.count("- ec2:TerminateInstances") == 1
    edited.write_text(text.replace("- ec2:TerminateInstances", "- ec2:TerminateInstances\n                  - ec2:StopInstances"))
    result = run_policies("check", "--template", str(edited))
    assert result.returncode == 1
    assert "-                  - ec2:StopInstances" in result.stdout


def test_an_action_added_to_the_list_must_be_scoped(tmp_path):
    actions = tomllib.loads((KIT / "iam-actions.toml").read_text())
    actions["worker"]["actions"].append("s3:GetObjectAcl")
    path = tmp_path / "iam-actions.toml"
    path.write_text(toml_file(actions))
    result = run_policies("check", "--actions", str(path))
    assert result.returncode == 1
    assert "worker: in the action list but in no statement of the scopes: s3:GetObjectAcl" in result.stderr
    # Scoped, it goes into the template (`write` on a copy), and `check` is content.
    scopes = (KIT / "iam-scopes.toml").read_text().replace(
        'actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]',
        'actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectAcl"]')
    (tmp_path / "iam-scopes.toml").write_text(scopes)
    template = tmp_path / "maskfleet.yaml"
    shutil.copy(TEMPLATE, template)
    both = ["--actions", str(path), "--scopes", str(tmp_path / "iam-scopes.toml"), "--template", str(template)]
    assert run_policies("check", *both).returncode == 1
    assert run_policies("write", *both).returncode == 0
    assert run_policies("check", *both).returncode == 0
    assert "                  - s3:GetObjectAcl\n" in template.read_text()


def test_the_scopes_cannot_grant_an_action_the_list_lacks(tmp_path):
    actions = tomllib.loads((KIT / "iam-actions.toml").read_text())
    actions["manager"]["actions"].remove("ec2:TerminateInstances")
    path = tmp_path / "iam-actions.toml"
    path.write_text(toml_file(actions))
    result = run_policies("check", "--actions", str(path))
    assert result.returncode == 1
    assert "manager: in the scopes but not in the action list: ec2:TerminateInstances" in result.stderr


def role_statements(resources, name):
    policies = resources[name]["Properties"]["Policies"]
    assert len(policies) == 1
    return policies[0]["PolicyDocument"]["Statement"]


def arn_text(value):
    return value["Fn::Sub"] if isinstance(value, dict) else value


def unsub(node):
    return json.loads(json.dumps(node), object_hook=lambda d: d["Fn::Sub"] if list(d) == ["Fn::Sub"] else d)


@pytest.mark.parametrize("role,resource", [("manager", "ManagerRole"), ("worker", "WorkerRole")])
def test_each_roles_policy_grants_exactly_the_listed_actions_as_scoped(resources, role, resource):
    listed = tomllib.loads((KIT / "iam-actions.toml").read_text())[role]["actions"]
    scopes = tomllib.loads((KIT / "iam-scopes.toml").read_text())
    statements = role_statements(resources, resource)
    assert {a for s in statements for a in s["Action"]} == set(listed)
    wanted = [(s["sid"], s["actions"], scopes["resources"][s["resources"]], s.get("conditions", {}))
              for s in scopes[role]]
    got = [(s["Sid"], s["Action"], [arn_text(r) for r in s["Resource"]], unsub(s.get("Condition", {})))
           for s in statements]
    assert got == wanted
    assert all(s["Effect"] == "Allow" for s in statements)


def find(statements, action):
    return [s for s in statements if action in s["Action"]]


# Actions without resource-level permissions in AWS: the only ones that may name "*".
NO_RESOURCE_LEVEL = {"ec2:DescribeInstances", "elasticloadbalancing:DescribeTargetHealth",
                     "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeLoadBalancers",
                     "cloudwatch:GetMetricData", "cloudwatch:PutMetricData"}


def test_manager_least_privilege(resources):
    statements = role_statements(resources, "ManagerRole")
    assert not any("*" in a for s in statements for a in s["Action"])
    (terminate,) = find(statements, "ec2:TerminateInstances")
    assert unsub(terminate["Condition"]) == {"StringEquals": {"aws:ResourceTag/maskfleet:pool": "${PoolName}"}}
    instance_arn = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*"
    # Every RunInstances statement that covers instances demands the pool's tag in the request.
    for s in find(statements, "ec2:RunInstances"):
        if any(arn_text(r) in (instance_arn, "*") for r in s["Resource"]):
            assert unsub(s["Condition"])["StringEquals"]["aws:RequestTag/maskfleet:pool"] == "${PoolName}"
    (tags,) = find(statements, "ec2:CreateTags")
    assert tags["Condition"] == {"StringEquals": {"ec2:CreateAction": "RunInstances"}}
    (pass_role,) = find(statements, "iam:PassRole")
    assert [arn_text(r) for r in pass_role["Resource"]] == ["${WorkerRole.Arn}"]
    (register,) = find(statements, "elasticloadbalancing:RegisterTargets")
    assert [arn_text(r) for r in register["Resource"]] == ["${WorkerTargetGroup}"]
    (delete,) = find(statements, "s3:DeleteObject")
    assert [arn_text(r) for r in delete["Resource"]] == ["arn:${AWS::Partition}:s3:::${ImagesBucket}/${ImagesPrefix}*"]
    (listing,) = find(statements, "s3:ListBucket")
    assert unsub(listing["Condition"]) == {"StringLike": {"s3:prefix": ["${ImagesPrefix}*"]}}
    for s in statements:
        if "*" in s["Resource"]:
            assert set(s["Action"]) <= NO_RESOURCE_LEVEL, s


def test_worker_least_privilege(resources):
    statements = role_statements(resources, "WorkerRole")
    (metrics,) = find(statements, "cloudwatch:PutMetricData")
    assert unsub(metrics["Condition"]) == {"StringEquals": {"cloudwatch:namespace": "${MetricNamespace}"}}
    (secret,) = find(statements, "secretsmanager:GetSecretValue")
    assert [arn_text(r) for r in secret["Resource"]] == ["${DatabaseSecret}"]
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        (s,) = find(statements, action)
        assert [arn_text(r) for r in s["Resource"]] == ["arn:${AWS::Partition}:s3:::${ImagesBucket}/${ImagesPrefix}*"]
    for s in statements:
        if "*" in s["Resource"]:
            assert set(s["Action"]) <= NO_RESOURCE_LEVEL, s
        assert "Condition" in s or "*" not in s["Resource"]


# --- The deployment checklist ------------------------------------------------------------

def ingress(resources, group):
    rules = list(resources[group]["Properties"].get("SecurityGroupIngress", []))
    rules += [r["Properties"] for r in resources.values()
              if r["Type"] == "AWS::EC2::SecurityGroupIngress" and r["Properties"]["GroupId"] == {"Ref": group}]
    unwrapped = []
    for rule in rules:
        if "Fn::If" in rule:  # a conditional rule: the rule itself when the condition holds
            rule = rule["Fn::If"][1]
        unwrapped.append(rule)
    return unwrapped


def source(rule):
    return rule.get("CidrIp") or rule.get("SourceSecurityGroupId")


def test_security_groups_as_in_the_checklist(resources):
    worker_port = {"Ref": "WorkerPort"}
    lb = ingress(resources, "LoadBalancerSecurityGroup")
    assert sorted((r["FromPort"], r["ToPort"], source(r)) for r in lb) == [
        (80, 80, "0.0.0.0/0"), (443, 443, "0.0.0.0/0")]
    workers = ingress(resources, "WorkerSecurityGroup")
    assert sorted(json.dumps((r["FromPort"], r["ToPort"], source(r))) for r in workers) == sorted(
        json.dumps((worker_port, worker_port, {"Ref": g}))
        for g in ("LoadBalancerSecurityGroup", "ManagerSecurityGroup"))
    manager = ingress(resources, "ManagerSecurityGroup")
    assert [(r["FromPort"], source(r)) for r in manager] == [(5000, {"Ref": "OperatorCidr"}),
                                                             (22, {"Ref": "OperatorCidr"})]
    database = ingress(resources, "DatabaseSecurityGroup")
    assert sorted(json.dumps((r["FromPort"], source(r))) for r in database) == sorted(
        json.dumps((5432, {"Ref": g})) for g in ("WorkerSecurityGroup", "ManagerSecurityGroup"))
    # Nothing but the load balancer is open to the world.
    for name, r in resources.items():
        if r["Type"] == "AWS::EC2::SecurityGroup" and name != "LoadBalancerSecurityGroup":
            assert all(source(rule) != "0.0.0.0/0" for rule in ingress(resources, name)), name


def test_target_group_as_in_the_checklist(resources):
    tg = resources["WorkerTargetGroup"]["Properties"]
    assert (tg["Protocol"], tg["HealthCheckProtocol"], tg["HealthCheckPath"]) == ("HTTP", "HTTP", "/readyz")
    assert (tg["HealthCheckIntervalSeconds"], tg["HealthyThresholdCount"]) == (10, 2)
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "30"} in tg["TargetGroupAttributes"]
    assert "Targets" not in tg  # the manager registers the workers


def test_launch_template_as_in_the_checklist(resources):
    data = resources["WorkerLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert data["ImageId"] == {"Ref": "WorkerImageId"}
    assert data["MetadataOptions"] == {"HttpEndpoint": "enabled", "HttpTokens": "required",
                                       "HttpPutResponseHopLimit": 1}
    assert data["Monitoring"] == {"Enabled": True}
    assert data["IamInstanceProfile"] == {"Arn": {"Fn::GetAtt": ["WorkerInstanceProfile", "Arn"]}}
    assert data["SecurityGroupIds"] == [{"Ref": "WorkerSecurityGroup"}]
    (instance_tags,) = [t["Tags"] for t in data["TagSpecifications"] if t["ResourceType"] == "instance"]
    assert {"Key": "maskfleet:pool", "Value": {"Ref": "PoolName"}} in instance_tags
    assert {"Key": "maskfleet:role", "Value": "worker"} in instance_tags
    manager = resources["ManagerInstance"]["Properties"]
    assert manager["MetadataOptions"]["HttpTokens"] == "required"
    # The manager has no pool tag: its own role cannot terminate it.
    assert all(t["Key"] != "maskfleet:pool" for t in manager["Tags"])


def test_bucket_is_private_encrypted_and_tls_only(resources):
    bucket = resources["ImagesBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    (deny,) = resources["ImagesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(deny["Resource"]) == 2  # the bucket and its objects


def test_database_password_is_generated_into_secrets_manager(template, resources):
    db = resources["Database"]
    assert db["Properties"]["Engine"] == "postgres"
    assert db["Properties"]["PubliclyAccessible"] is False
    assert db["Properties"]["StorageEncrypted"] is True
    assert db["DeletionPolicy"] == "Snapshot"
    assert "{{resolve:secretsmanager:${DatabaseSecret}" in db["Properties"]["MasterUserPassword"]["Fn::Sub"]
    assert "GenerateSecretString" in resources["DatabaseSecret"]["Properties"]
    # No parameter carries a password.
    assert not [p for p in template["Parameters"] if "password" in p.lower()]


# --- The configuration the instances get ---------------------------------------------------

def user_data(resource):
    props = resource["Properties"]
    data = props.get("LaunchTemplateData", props)["UserData"]["Fn::Base64"]["Fn::Sub"]
    return data[0]


def config_toml(cloud_config):
    """The TOML file of a cloud-config's write_files, with every ${...} made a sample value."""
    match = re.search(r"^  - path: (/etc/maskfleet/\w+\.toml)\n(?:    [^\n]*\n)*?    content: \|\n((?:      [^\n]*\n|\n)+)",
                      cloud_config, re.M)
    assert match, cloud_config
    body = "".join(line[6:] + "\n" for line in match.group(2).splitlines())
    return match.group(1), body


def sample(body):
    return re.sub(r"\$\{([^}]+)\}", lambda m: "8081" if m.group(1) in ("WorkerPort", "Database.Endpoint.Port")
                  else "8" if m.group(1) == "MaxWorkers"
                  else "true" if m.group(1) == "SecureCookies" else f"sample-{m.group(1)}", body)


def test_manager_and_workers_get_the_same_configuration(resources):
    manager_path, manager = config_toml(user_data(resources["ManagerInstance"]))
    worker_path, worker = config_toml(user_data(resources["WorkerLaunchTemplate"]))
    assert (manager_path, worker_path) == ("/etc/maskfleet/manager.toml", "/etc/maskfleet/worker.toml")
    # The launch template cannot name itself; everything else is the same text.
    assert manager.replace('launch_template = "${WorkerLaunchTemplate}"\n', "") == worker
    config = tomllib.loads(sample(manager))
    assert config["deployment"] == {"mode": "aws"}
    assert set(config["aws"]) == AWS_KEYS
    assert config["worker"]["host"] == "0.0.0.0" and config["manager"]["port"] == 5000
    assert config["database"]["url"].startswith("postgresql://maskfleet@")
    assert "runcmd:\n  - [/home/admin/Desktop/start.sh]" in user_data(resources["ManagerInstance"])


def test_no_secret_in_user_data(resources):
    for name in ("ManagerInstance", "WorkerLaunchTemplate"):
        text = user_data(resources[name])
        assert "resolve:" not in text and "DatabaseSecret}:" not in text, name
        config = tomllib.loads(sample(config_toml(text)[1]))
        keys = {f"{section}.{key}" for section, values in config.items() if isinstance(values, dict)
                for key in values}
        assert not [k for k in keys if "password" in k or "secret" in k and k != "aws.database_secret_arn"]
        # The database URL names the user only: the password comes from the secret.
        assert re.fullmatch(r"postgresql://maskfleet@[^:/@]+:\d+/maskfleet\?sslmode=require",
                            config["database"]["url"]), config["database"]["url"]


def test_outputs_give_the_urls_and_every_setting(template):
    outputs = template["Outputs"]
    assert {"ManagerUrl", "EntryUrl"} <= set(outputs)
    described = {re.match(r"\[aws\] (\w+)", o["Description"]).group(1)
                 for o in outputs.values() if o["Description"].startswith("[aws]")}
    assert described == AWS_KEYS
    assert outputs["ManagerUrl"]["Value"] == {"Fn::Sub": "http://${ManagerAddress.PublicIp}:5000/"}
