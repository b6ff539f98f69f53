"""YAML and JSON documents with positions: every value's file, line and column, read as kubectl and viper read
them (``yamlio``: the reader's interface and ``Document``; ``yaml_text``: the input text's checks, limits and the
errors' positions; ``yaml_scalars``: how scalars are typed; ``yaml_compose``: values composed from the parser's
events), and written back in podeval's output style (``yaml_emit``).

May import: ``engine.errors`` and ``engine.k8s`` (paths, for error locations).
"""
