"""What the user gives podeval, read the way the Flyte component that reads it does.

Owns the scenario (``scenario``: format, normalisation, validation, positions), FlytePropeller's configuration as
flytestdlib and viper read it (``propeller_config``), registered tasks in flyteidl's forms (``task_template``),
flytekit's compile-time serialization (``flytekit``, ``flytekit_source``), PodTemplate manifests
(``podtemplate_files``), a live cluster (``cluster``) and the CLI's separate-file flags assembled into one scenario
(``cli_inputs``).

May import: ``engine.errors``, ``engine.k8s``, ``engine.documents``, ``engine.pack`` (a scenario is read against the
pack's option table).
"""
