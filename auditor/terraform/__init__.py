"""Terraform state (format version 4) as an approved baseline (DESIGN.md decision 20).

``state`` reads state documents (never outputs, never sensitive attributes), ``sources``
fetches them from files and the S3/GCS/azurerm backends, ``mapping`` turns resource
instances into declared resources keyed like our collectors' resources (from the data
table ``mapping.yaml``), ``baseline`` records them as an immutable baseline version, and
``drift`` compares a snapshot with them (unmanaged / missing / modified / unknown, and
IaC coverage).
"""
