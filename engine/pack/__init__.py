"""Rule packs: the declarative half of podeval.

Owns the pack format (``pack_format``: the one declaration from which the loader, ``podeval check``, the JSON
Schema and the guide's reference table (``pack_schema``) come), the ``extends`` chain walked once (``pack_chain``),
reading a pack's files against the declaration (``pack_reader``), compiling a pack (``rules``) into its compiled
form (``pack_model``),
the compiled-pack cache (``pack_cache``), the JMESPath dialect of ``when``/``select`` (``expressions``, with the
names FlytePropeller generates, ``generated_names``), the
precedence DAG (``graph``), plugin-config semantics (``plugin_options``: FlytePropeller's option table, weak
decoding, defaults, the effective config) and the names a pack may use: strategies (``registry``) and transforms
with their declared parameters, reads, writes and variables (``transform_api``).

Strategies and transforms are implemented in ``engine.eval`` and register themselves here when imported; the pack
layer reads the registries and never imports the code that fills them, except the modules ``engine.eval`` defers to
it by name (``registry.defer``: the plugins', imported when a name is not found).

May import: ``engine.errors``, ``engine.k8s``, ``engine.documents``.
"""
