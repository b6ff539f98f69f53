"""Kubernetes structure: what podeval knows of the API's objects, and nothing of Flyte.

Owns the schema (``k8s_schema``: fields, JSON names, kinds, list types and list-map keys, generated from the
Kubernetes client's models and k8s.io/api's markers by tools/gen_k8s_schema.py), the one typed walk over it
(``walker``: per-type tables of slots, resolved once, which the merge, validation, output and managedFields use),
paths into objects and their one printer and parser (``paths``), quantities (``quantity``), the value tree
evaluations build (``tree``), schema validation of objects (``validate``, with ``problems``, ``names``,
``describe``, ``pod_checks``, ``spelling``), the API server's admission checks (``apiserver``) and the tree diff of
two objects (``diff``).

May import: ``engine.errors`` and the standard library and third-party packages. Nothing else of the engine.
"""
