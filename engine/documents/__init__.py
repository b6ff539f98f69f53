"""YAML and JSON documents with positions: every value's file, line and column, read as kubectl and viper read
them (``yamlio``), and written back in podeval's output style (``yaml_emit``).

May import: ``engine.errors`` and ``engine.k8s`` (paths, for error locations).
"""
