"""Per-cloud collectors (aws/, gcp/, azure/) and the shared runner they all use."""
