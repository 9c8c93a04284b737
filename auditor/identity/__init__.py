"""Federated identity: IAM policy semantics, trust-edge extraction, the cross-cloud trust graph."""
