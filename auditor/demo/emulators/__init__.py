"""Loopback fakes of cloud APIs, used by the tests and by `auditor demo`."""
