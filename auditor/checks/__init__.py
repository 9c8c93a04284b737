"""Rules as data, the engine that runs them, and findings per snapshot."""
