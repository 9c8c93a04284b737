"""Least-privilege IAM policy generated from the specs, and the call -> action mapping that
lets a test prove every call a spec makes is covered by the actions it declares."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from collectors.aws.specs import DISCOVERY_PERMISSIONS, SPECS
from collectors.spec import ResourceSpec

# IAM service prefix when it differs from the boto3 service name.
ACTION_PREFIX = {"s3control": "s3", "accessanalyzer": "access-analyzer", "efs": "elasticfilesystem",
                 "elbv2": "elasticloadbalancing"}
# (boto3 service, API operation) whose IAM action is not "<prefix>:<operation>".
ACTION_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3", "HeadBucket"): "s3:ListBucket",
    # API Gateway authorises by HTTP verb on the resource path: every read is apigateway:GET.
    ("apigateway", "GetRestApis"): "apigateway:GET",
    ("apigateway", "GetStages"): "apigateway:GET",
    ("apigatewayv2", "GetApis"): "apigateway:GET",
    ("apigatewayv2", "GetStages"): "apigateway:GET",
}
# Read-only operations whose names do not start with Describe/Get/List/Head.
READ_OPERATIONS = frozenset({("iam", "GenerateCredentialReport"), ("sts", "AssumeRole")})
READ_PREFIXES = ("Describe", "Get", "List", "Head")


@lru_cache(maxsize=None)
def _operations(service: str) -> dict[str, str]:
    """boto3 method name -> API operation name, from botocore's own service model."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(op): op for op in model.operation_names}


def operation_of(call: str) -> tuple[str, str]:
    """'s3:list_buckets' -> ('s3', 'ListBuckets'); KeyError for a method the SDK lacks."""
    service, method = call.split(":", 1)
    return service, _operations(service)[method]


def action_for(service: str, operation: str) -> str:
    return ACTION_EXCEPTIONS.get((service, operation)) or f"{ACTION_PREFIX.get(service, service)}:{operation}"


def action_for_call(call: str) -> str:
    return action_for(*operation_of(call))


def is_read_operation(service: str, operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or (service, operation) in READ_OPERATIONS


def uncovered(spec: ResourceSpec) -> list[str]:
    """Calls of ``spec`` whose IAM action is not in its declared permissions."""
    declared = set(spec.permissions)
    return [c for c in spec.calls if action_for_call(c) not in declared]


def permissions(specs: Iterable[ResourceSpec] = SPECS) -> dict[str, Any]:
    """The IAM policy document an auditor role needs (read-only actions only)."""
    actions = sorted({a for s in specs for a in s.permissions} | set(DISCOVERY_PERMISSIONS))
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PostureAuditorReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"},
        ],
    }
