"""What a set of AWS identity policies lets its holder do: admin-equivalence and escalation paths.

One answer for every caller: the collectors fill the ``admin`` / ``admin_conditions`` /
``privilege_escalation`` facets with it, and the trust graph marks admin nodes with it, so
"admin" cannot mean two things. Both questions are put to the policy evaluator
(``auditor.identity.policy``), never answered by matching ``"*"`` literally: ``NotAction``,
``iam:*`` and a conditioned grant are read with IAM semantics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from auditor.identity.policy import PolicyDocument, Statement, action_matches, evaluate, glob_match

# No policy names this action, so only a wildcard grant ("*", "*:*", a NotAction list) allows it.
ANY_ACTION_PROBE = "auditorprobe:AnyUnlistedAction"
# Any of these on "*" lets the holder grant itself everything: admin-equivalent.
SELF_GRANT_PROBES = ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:PutUserPolicy",
                     "iam:AttachUserPolicy", "iam:PutGroupPolicy", "iam:AttachGroupPolicy",
                     "iam:UpdateAssumeRolePolicy")
ADMIN_POLICY_SUFFIX = ":iam::aws:policy/AdministratorAccess"


@dataclass(frozen=True, slots=True)
class EscalationPath:
    """A privilege-escalation path: every action in ``actions`` must be allowed.

    ``others_only`` actions count only on principals other than the holder (creating your own
    access key is self-service, creating one for another user is becoming that user).
    ``any_resource`` actions count only when they are allowed on an arbitrary resource
    (``sts:AssumeRole`` on one named role is ordinary delegation).
    """

    name: str
    actions: tuple[str, ...]
    others_only: bool = False
    any_resource: bool = False
    doc: str = ""


# Source: the published AWS IAM escalation catalogue (Rhino Security Labs, "AWS IAM privilege
# escalation methods"), reduced to the paths the issue names plus their compute siblings.
ESCALATION_PATHS: tuple[EscalationPath, ...] = (
    EscalationPath("passrole_ec2", ("iam:PassRole", "ec2:RunInstances"),
                   doc="launch an instance with a more privileged instance profile"),
    EscalationPath("passrole_lambda", ("iam:PassRole", "lambda:CreateFunction"),
                   doc="create a function running as a more privileged role"),
    EscalationPath("passrole_glue", ("iam:PassRole", "glue:CreateDevEndpoint"),
                   doc="create a Glue dev endpoint with a more privileged role"),
    EscalationPath("passrole_glue_job", ("iam:PassRole", "glue:CreateJob"),
                   doc="create a Glue job running as a more privileged role"),
    EscalationPath("passrole_sagemaker", ("iam:PassRole", "sagemaker:CreateNotebookInstance"),
                   doc="create a notebook running as a more privileged role"),
    EscalationPath("passrole_sagemaker_training", ("iam:PassRole", "sagemaker:CreateTrainingJob"),
                   doc="run a training job as a more privileged role"),
    EscalationPath("passrole_cloudformation", ("iam:PassRole", "cloudformation:CreateStack"),
                   doc="create a stack that acts as a more privileged role"),
    EscalationPath("put_role_policy", ("iam:PutRolePolicy",), doc="write an inline policy on a role"),
    EscalationPath("put_user_policy", ("iam:PutUserPolicy",), doc="write an inline policy on a user"),
    EscalationPath("put_group_policy", ("iam:PutGroupPolicy",), doc="write an inline policy on a group"),
    EscalationPath("attach_role_policy", ("iam:AttachRolePolicy",), doc="attach any managed policy to a role"),
    EscalationPath("attach_user_policy", ("iam:AttachUserPolicy",), doc="attach any managed policy to a user"),
    EscalationPath("attach_group_policy", ("iam:AttachGroupPolicy",), doc="attach any managed policy to a group"),
    EscalationPath("create_policy_version", ("iam:CreatePolicyVersion",),
                   doc="publish a new default version of a managed policy"),
    EscalationPath("set_default_policy_version", ("iam:SetDefaultPolicyVersion",),
                   doc="roll a managed policy to a broader old version"),
    EscalationPath("update_assume_role_policy", ("iam:UpdateAssumeRolePolicy",),
                   doc="let yourself assume a more privileged role"),
    EscalationPath("create_access_key", ("iam:CreateAccessKey",), others_only=True,
                   doc="mint access keys for another user"),
    EscalationPath("create_login_profile", ("iam:CreateLoginProfile",), others_only=True,
                   doc="set a console password for another user"),
    EscalationPath("update_login_profile", ("iam:UpdateLoginProfile",), others_only=True,
                   doc="reset another user's console password"),
    EscalationPath("add_user_to_group", ("iam:AddUserToGroup",), doc="join a more privileged group"),
    EscalationPath("assume_any_role", ("sts:AssumeRole",), any_resource=True, doc="assume any role that trusts the account"),
)
SELF_MARKERS = ("${aws:username}", "${aws:userid}", "${aws:principaltag")
ANY_ROLE_PROBE = "arn:aws:iam::000000000000:role/auditor-probe"


def merge(docs: Iterable[PolicyDocument]) -> PolicyDocument:
    """All statements of several identity policies as one document (IAM evaluates their union)."""
    out = PolicyDocument()
    for d in docs:
        out.statements.extend(d.statements)
        out.errors.extend(d.errors)
    return out


def _unconditioned(doc: PolicyDocument) -> PolicyDocument:
    """The most the holder can ever get: Allow conditions assumed met, conditioned Denies assumed not."""
    from dataclasses import replace

    out = PolicyDocument()
    for st in doc.statements:
        if st.effect == "Allow":
            out.statements.append(replace(st, conditions=()))
        elif not st.conditions:
            out.statements.append(st)
    return out


@dataclass(slots=True)
class AdminVerdict:
    admin: bool
    via: str | None = None  # "all actions" or the self-grant action that makes it admin-equivalent
    conditions: list[str] = field(default_factory=list)  # non-empty: admin only when these hold


def _admin_via(doc: PolicyDocument) -> str | None:
    """Admin-equivalent = may grant itself anything (a self-grant action on every resource).
    ``NotAction: [iam:*, ...]`` (PowerUserAccess) allows every other action and is not admin."""
    for probe in SELF_GRANT_PROBES:
        if evaluate(doc, action=probe, resource="*") == "Allow":
            return "all actions" if evaluate(doc, action=ANY_ACTION_PROBE, resource="*") == "Allow" else probe
    return None


def admin_verdict(docs: Iterable[PolicyDocument], attached_arns: Iterable[str] = ()) -> AdminVerdict:
    """Is the union of these identity policies admin-equivalent? (the one definition of AWS admin)

    Unconditionally admin -> ``conditions == []``; admin only under conditions (MFA, source IP,
    a conditioned Deny lifted) -> the labels of those conditions.
    """
    if any(str(a).endswith(ADMIN_POLICY_SUFFIX) for a in attached_arns):
        return AdminVerdict(True, "AdministratorAccess")
    doc = merge(docs)
    via = _admin_via(doc)
    if via:
        return AdminVerdict(True, via)
    via = _admin_via(_unconditioned(doc))
    if via is None:
        return AdminVerdict(False)
    labels = [c.label() for st in doc.statements if st.conditions for c in st.conditions]
    return AdminVerdict(True, via, sorted(set(labels)))


def _grants(st: Statement, action: str) -> bool:
    if st.actions is not None:
        return action_matches(st.actions, action)
    return not action_matches(st.not_actions or (), action)


def _denied(doc: PolicyDocument, action: str, resource: str) -> bool:
    """An unconditional Deny covers this resource pattern (a pattern is read as a value)."""
    for st in doc.statements:
        if st.effect != "Deny" or st.conditions or not _grants(st, action):
            continue
        if st.resources is not None and any(glob_match(p, resource) for p in st.resources):
            return True
        if st.not_resources is not None and not any(glob_match(p, resource) for p in st.not_resources):
            return True
    return False


def allowed_resources(doc: PolicyDocument, action: str) -> list[str]:
    """Resource patterns of the Allow statements granting ``action``, minus what a Deny covers."""
    pats: list[str] = []
    for st in doc.statements:
        if st.effect == "Allow" and _grants(st, action):
            pats.extend(st.resources if st.resources is not None else ("*",))
    return [p for p in dict.fromkeys(pats) if not _denied(doc, action, p)]


def escalation_paths(docs: Iterable[PolicyDocument], *, self_arn: str | None = None) -> list[dict[str, Any]]:
    """Every path of ``ESCALATION_PATHS`` the policies open: [{"path", "actions", "resource"}]."""
    doc = merge(docs)
    found: list[dict[str, Any]] = []
    for path in ESCALATION_PATHS:
        per_action: list[list[str]] = []
        for action in path.actions:
            res = allowed_resources(doc, action)
            if path.others_only:
                res = [r for r in res if r != self_arn and not any(m in r.lower() for m in SELF_MARKERS)]
            if path.any_resource:
                res = [r for r in res if glob_match(r, ANY_ROLE_PROBE)]
            per_action.append(res)
        if all(per_action):
            found.append({"path": path.name, "actions": list(path.actions), "resource": ",".join(sorted(per_action[0]))})
    return found
