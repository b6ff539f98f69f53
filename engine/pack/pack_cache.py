"""Compiled rule packs on disk, so that a new ``podeval`` process does not parse and compile its pack again.

Compiling flyte-v1 (three YAML files, some seventy JMESPath expressions, the precedence graph) is a sixth of the
start-up of ``podeval render``. The compiled ``RulePack`` is pickled into the user's cache folder under a key made
of everything it was made from: the pack's files (their bytes), the pack's folder, podeval's version, the stamps
(mtime, size) of the engine's modules and the Python version. A changed file is a different key, never a stale hit.

A plugin (``plugins/<id>.yaml``: most of a pack's rules) is pickled on its own and unpickled on its first use
(``RulePack.plugins``): rendering a Pod reads none, nor imports the modules that implement their transforms
(``engine.pack.registry.load_deferred``); a plugin that does not unpickle is taken from the pack compiled again.
Functions are pickled by their registered names.

The cache can only save time, never change a result: a pack that ``extends`` another is not cached (its key would
have to follow the chain); any problem (no home folder, a read-only or full disk, a corrupt or foreign file) falls
back silently to compiling. ``PODEVAL_CACHE_DIR`` moves the folder; ``PODEVAL_CACHE_DIR=off`` turns the cache off.
The folder is the user's own, as trusted as podeval's code (pickle runs what it loads).
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .pack_format import pack_files
from .registry import STRATEGIES, load_deferred
from .transform_api import TRANSFORMS

_FORMAT = b"podeval-compiled-pack-2"
_KEEP = 32  # compiled packs kept in the cache folder (about 30 kB each)


def cache_dir() -> Path | None:
    """The folder of compiled packs, or None when caching is off."""
    configured = os.environ.get("PODEVAL_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "false", "no") else Path(configured)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "podeval" / "Cache" if base else None
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "podeval"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "podeval"


def _engine_stamp() -> bytes:
    """(path, mtime, size) of the engine's modules and data files, in every subfolder: a changed engine is a
    different key."""
    engine_dir = Path(__file__).resolve().parent.parent
    stamps = []
    for folder, dirs, files in os.walk(engine_dir):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        relative = os.path.relpath(folder, engine_dir)
        for name in files:
            if name.endswith((".py", ".json")):
                stat = os.stat(os.path.join(folder, name))
                stamps.append((relative, name, stat.st_mtime_ns, stat.st_size))
    return repr(sorted(stamps)).encode()


def _key(folder: str) -> tuple[str, str] | None:
    """(file name prefix of this pack folder, file name of this exact version); None when not cacheable."""
    from .. import __version__  # engine/__init__.py sets __version__ after it imports this module

    digest = hashlib.sha256(
        _FORMAT
        + b"\0"
        + __version__.encode()
        + b"\0"
        + sys.version.encode()
        + b"\0"
        + folder.encode()
        + b"\0"
        + _engine_stamp()
    )
    for name in pack_files(Path(folder)):
        try:
            data = (Path(folder) / name).read_bytes()
        except FileNotFoundError:
            data = b"\0missing"
        if name == "pack.yaml" and b"extends" in data:
            return None  # the key would have to include the packs it extends
        digest.update(name.encode() + b"\0" + data + b"\0")
    prefix = "pack-" + hashlib.sha256(folder.encode()).hexdigest()[:12]
    return prefix, f"{prefix}-{digest.hexdigest()[:32]}.pickle"


def _registered(kind: str, name: str) -> Any:
    """A strategy or transform of this process's registries (unpickling); a deferred module's is imported first."""
    table = STRATEGIES if kind == "strategy" else TRANSFORMS
    if name not in table:
        load_deferred()
    return table[name]


class _Pickler(pickle.Pickler):
    """Pickles the functions of the strategy and transform registries by their registered names: some are
    closures (which pickle cannot store), and by name they are always this podeval's own."""

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        load_deferred()  # every registered function, by its name

        self._names = {id(fn): (fn, "strategy", name) for name, fn in STRATEGIES.items()}
        self._names.update({id(fn): (fn, "transform", name) for name, fn in TRANSFORMS.items()})

    def reducer_override(self, obj: Any) -> Any:
        found = self._names.get(id(obj))
        if found is not None and found[0] is obj:
            return _registered, found[1:]
        return NotImplemented


def _pickled(value: Any) -> bytes:
    out = io.BytesIO()
    _Pickler(out).dump(value)
    return out.getvalue()


class _Plugins(Mapping):
    """A cached pack's plugins (id -> ``Plugin``), each unpickled on its first use; one that does not unpickle is
    taken from the pack compiled again (``compile()``)."""

    def __init__(self, pickled: dict[str, bytes], compile: Callable[[], Any] | None) -> None:
        self._pickled = pickled
        self._compile = compile
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, plugin_id: str) -> Any:
        plugin = self._loaded.get(plugin_id)
        if plugin is None:
            pickled = self._pickled[plugin_id]
            try:
                plugin = pickle.loads(pickled)
            except Exception:  # a corrupt or incompatible plugin: compile instead
                if self._compile is None:
                    raise
                plugin = self._compile().plugins[plugin_id]
            self._loaded[plugin_id] = plugin
        return plugin

    def __iter__(self) -> Iterator[str]:
        return iter(self._pickled)

    def __len__(self) -> int:
        return len(self._pickled)

    def __reduce__(self) -> Any:  # pickled again (a copy of the pack): the plain mapping it stands for
        return dict, (dict(self.items()),)


def load(folder: str, kind: type, compile: Callable[[], Any] | None = None) -> Any:
    """The compiled pack of ``folder`` from the cache (an instance of ``kind``, the loader's ``RulePack``), or
    None. ``compile()`` compiles the pack, for a plugin that turns out not to unpickle (without it, that raises)."""
    try:
        directory = cache_dir()
        key = _key(folder) if directory is not None else None
        if directory is None or key is None:
            return None
        with open(directory / key[1], "rb") as handle:
            pack, plugins = pickle.load(handle)
        if not isinstance(pack, kind) or str(pack.folder) != folder:
            return None
        pack.plugins = _Plugins(plugins, compile)
        return pack
    except Exception:  # noqa: BLE001 -- a missing, unreadable, corrupt or incompatible file: compile instead
        return None


def store(folder: str, pack: Any) -> None:
    """Write the compiled pack of ``folder`` to the cache (and drop the older versions of that folder's pack)."""
    try:
        directory = cache_dir()
        key = _key(folder) if directory is not None else None
        if directory is None or key is None:
            return
        import copy  # start-up: only when writing (a cold start after the first does not)
        import tempfile  # start-up: only when writing (a cold start after the first does not)

        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pickle")
        try:
            plugins = {plugin_id: _pickled(plugin) for plugin_id, plugin in pack.plugins.items()}
            body = copy.copy(pack)
            body.plugins = {}
            with os.fdopen(handle, "wb") as out:
                _Pickler(out).dump((body, plugins))
            os.replace(temporary, directory / key[1])
        except BaseException:
            os.unlink(temporary)
            raise
        for old in directory.glob(f"{key[0]}-*.pickle"):
            if old.name != key[1]:
                old.unlink(missing_ok=True)
        # packs in folders that come and go (tests' temporary copies): keep the most recently written ones
        kept = sorted(directory.glob("pack-*.pickle"), key=lambda path: path.stat().st_mtime, reverse=True)
        for old in kept[_KEEP:]:
            old.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 -- read-only or full disk, no home folder: the cache only saves time
        return
