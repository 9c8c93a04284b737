"""`auditor demo`: the whole product on a simulated three-cloud estate, no account needed."""
