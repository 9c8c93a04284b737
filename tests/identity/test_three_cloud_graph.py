"""A seeded three-cloud store: the GitHub -> GCP -> AWS chain and the AWS -> Azure edge are found."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from auditor.config.schema import AuditorConfig, EstateConfig
from auditor.identity.graph import build_trust_graph
from auditor.store.engine import make_engine
from auditor.store.migrate import upgrade
from auditor.store.schema import trust_edges
from tests.identity.factories import AWS_ACCT, EKS_ISSUER, GCP_PROJECT, SA_UID, TENANT, seed, three_cloud_estate

CONFIG = AuditorConfig(estate=EstateConfig(aws_accounts=[AWS_ACCT], gcp_projects=[GCP_PROJECT],
                                           azure_tenants=[TENANT], github_orgs=["1342004"]))
ADMIN_ROLE = f"aws.iam.role|arn:aws:iam::{AWS_ACCT}:role/gcp-deployer"


@pytest.fixture
def seeded(sqlite_url):
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sid = seed(engine, three_cloud_estate())
    yield engine, sid
    engine.dispose()


def test_github_to_gcp_to_aws_admin_chain_with_conditions(seeded):
    engine, sid = seeded
    graph = build_trust_graph(engine, CONFIG, sid)
    chains = [c for c in graph.chains() if c.nodes[-1] == ADMIN_ROLE]
    assert len(chains) == 1
    chain = chains[0]
    assert chain.nodes[0] == "oidc|token.actions.githubusercontent.com"
    assert chain.nodes[1].startswith("gcp.wif_pool|projects/ml-prod/") and chain.nodes[1].endswith("/github")
    assert chain.nodes[2].startswith("gcp.iam.service_account|")
    assert chain.reaches_admin and chain.cross_cloud
    assert chain.providers[:1] == ["github"] and {"gcp", "aws"} <= set(chain.providers)
    hops = chain.as_dict()["hops"]
    assert [h["mechanism"] for h in hops] == ["gcp_wif_oidc", "gcp_wif_binding", "aws_google"]
    assert "repository_owner_id == '1342004'" in hops[0]["conditions"]["attributeCondition"]
    assert hops[1]["conditions"]["selector"] == "attribute.repository_id/260064828"
    assert hops[2]["conditions"]["sub"] == [f"StringEquals {SA_UID}"]
    assert hops[2]["conditions"]["aud"] == [f"StringEquals {SA_UID}"]
    assert "=> ADMIN" in chain.text()


def test_aws_to_azure_edge_with_conditions(seeded):
    engine, sid = seeded
    graph = build_trust_graph(engine, CONFIG, sid)
    fic = [e for e in graph.edges if e.mechanism == "azure_fic"]
    assert len(fic) == 1
    e = fic[0]
    assert (e.source_provider, e.trusted_provider, e.cross_cloud) == ("azure", "aws", True)
    assert e.trusted_node == f"oidc|{EKS_ISSUER.lower().split('/id/')[0]}/id/{EKS_ISSUER.split('/id/')[1]}"
    assert e.conditions["subject"] == "system:serviceaccount:ml:trainer"
    assert e.conditions["issuer"] == f"https://{EKS_ISSUER}"
    assert e.external is False  # the EKS issuer is registered in our AWS account
    # The same issuer also reaches an Owner assignment: a chain to admin crossing from AWS into Azure.
    assert any(c.reaches_admin and c.nodes[0] == e.trusted_node and c.cross_cloud for c in graph.chains())


def test_edges_are_persisted_with_stable_ids(seeded):
    engine, sid = seeded
    first = build_trust_graph(engine, CONFIG, sid)
    again = build_trust_graph(engine, CONFIG, sid)
    with engine.connect() as c:
        rows = c.execute(select(trust_edges).where(trust_edges.c.snapshot_id == sid)).mappings().all()
    assert sorted(r["edge_id"] for r in rows) == sorted(e.edge_id for e in again.edges)
    assert [e.edge_id for e in first.edges] == [e.edge_id for e in again.edges]
    google = next(r for r in rows if r["mechanism"] == "aws_google")
    assert google["cross_cloud"] and json.loads(google["conditions"])["sub"] == [f"StringEquals {SA_UID}"]
    assert json.loads(google["details"])["trusted_node"].startswith("gcp.iam.service_account|")


def test_dot_output_is_graphviz_text(seeded):
    engine, sid = seeded
    dot = build_trust_graph(engine, CONFIG, sid, persist=False).to_dot()
    assert dot.startswith("digraph trust {") and dot.rstrip().endswith("}")
    assert '"oidc|token.actions.githubusercontent.com" ->' in dot
    assert dot.count("->") == len(build_trust_graph(engine, CONFIG, sid, persist=False).edges)


def test_cycles_terminate():
    """Three roles trusting each other in a ring plus a self-trust: every chain is finite and simple."""
    from auditor.identity.graph import build_from_resources
    from tests.identity.factories import aws_role, stored, trust

    def trusting(name, other):
        return aws_role(name, trust({"Effect": "Allow", "Action": "sts:AssumeRole",
                                     "Principal": {"AWS": f"arn:aws:iam::{AWS_ACCT}:role/{other}"}}))

    g = build_from_resources([stored(trusting("b", "a")), stored(trusting("c", "b")), stored(trusting("a", "c")),
                              stored(trusting("d", "d"))], CONFIG)
    key = lambda n: f"aws.iam.role|arn:aws:iam::{AWS_ACCT}:role/{n}"  # noqa: E731
    assert {tuple(c.nodes) for c in g.chains()} == {
        (key("a"), key("b"), key("c")), (key("b"), key("c"), key("a")), (key("c"), key("a"), key("b"))}


def test_streamed_json_is_the_printed_document(seeded):
    """`auditor identity --format json` writes the graph an edge at a time: the same text as
    the whole document serialised at once (the format users and scripts already read)."""
    import io

    from auditor.cli.output import dumps_json

    engine, sid = seeded
    graph = build_trust_graph(engine, CONFIG, sid, persist=False)
    assert graph.edges and graph.chains() and graph.admin_nodes
    out = io.StringIO()
    graph.write_json(out)
    assert out.getvalue() == dumps_json(graph.as_dict()) + "\n"
    assert json.loads(out.getvalue())["snapshot_id"] == sid
