"""Configuration: one YAML file validated against a schema (see config/auditor.example.yaml)."""

from auditor.config.loader import DEFAULT_CONFIG_NAME, find_config_path, load_config, load_config_text
from auditor.config.schema import AuditorConfig

__all__ = ["AuditorConfig", "DEFAULT_CONFIG_NAME", "find_config_path", "load_config", "load_config_text"]
