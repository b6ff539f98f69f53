"""What the user gives podeval, read the way the Flyte component that reads it does.

Owns the scenario (``scenario``: loading; ``scenario_shape``: its keys and leaf kinds, raw paths;
``scenario_normalise`` and ``scenario_templates``: normalisation and validation), FlytePropeller's configuration as
flytestdlib and viper read it (``propeller_config``; ``viper``: the key handling; ``config_positions``: a file and
positions in it), registered tasks in flyteidl's forms (``task_template``),
flytekit's compile-time serialization (``flytekit``, ``flytekit_source``), PodTemplate manifests
(``podtemplate_files``), a live cluster (``cluster``) and the CLI's separate-file flags assembled into one scenario
(``cli_inputs``).

May import: ``engine.errors``, ``engine.k8s``, ``engine.documents``, ``engine.pack`` (a scenario is read against the
pack's option table).
"""
