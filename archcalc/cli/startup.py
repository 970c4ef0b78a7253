"""What a cold start of the ``archcalc`` command skips, each shortcut in one named place.

``archcalc table mobilenet_v2 --format json`` is measured against importing its dependencies
(``python -c "import pydantic, typer, yaml"``; ``benchmarks/cold_start.py``). The shortcuts, and the
test that checks each one against the path it replaces:

* **One command built, not twelve** — :func:`archcalc.cli.click_app`: typer builds the click
  command of the invoked command only. Checked by ``tests/test_cold_start.py``
  (``test_lean_group_behaves_as_the_full_group``: help, usage and parser errors byte for byte).
* **No YAML parse for a built-in spec** — :mod:`archcalc.spec.cache`: the data of each built-in
  spec, once it validated, as checksummed JSON. Checked by
  ``tests/test_cold_start.py`` (``test_every_builtin_round_trips_through_the_cache`` and the
  damage, version and directory tests after it).
* **No validator built for a built-in spec** — :mod:`archcalc.spec.trusted`: the cache holds a
  spec's data once it validated, and a hit is rebuilt with pydantic's ``model_construct``. Checked by
  ``tests/test_cold_start.py`` (``test_a_cached_spec_is_the_validated_spec``: every built-in spec,
  equal values, types and fields set in every model).
* **Row kinds imported on demand** — :data:`archcalc.model.blocks.KINDS`: a spec imports the modules
  of its rows' kinds only. Checked by ``tests/test_blocks_registry.py``.
* **No scan of every installed distribution for pydantic plugins** — :func:`skip_pydantic_plugin_scan`,
  the one start-up cost that grew with what else is installed. Checked by
  ``tests/test_cold_start.py`` (``test_plugin_check_agrees_with_importlib_metadata`` and
  ``test_console_script_keeps_an_installed_plugin``).
* **No import of importlib.metadata for a plugin search that is switched off** —
  :func:`defer_pydantic_plugin_loader`: a stand-in for pydantic's plugin loader module that answers
  "no plugins" exactly when pydantic's would without searching, and hands over to the real module
  otherwise. Checked by ``tests/test_cold_start.py`` (``test_plugin_loader_stand_in_answers_as_pydantic``
  and ``test_console_script_keeps_an_installed_plugin``).
* **No cyclic collections over start-up objects** — :func:`quiet_collector` while the command runs
  and :func:`gc.freeze` before the interpreter exits. Output cannot depend on it; the collector
  still runs, less often.

Only the console script (:func:`archcalc.cli.run`, also ``python -m archcalc``) applies the last
three; :func:`archcalc.cli.main`, which the tests call in-process, leaves the interpreter as it is.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import types
from importlib.machinery import PathFinder
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pydantic.plugin import PydanticPluginProtocol

PLUGIN_SECTION = b"[pydantic]"
"""The entry-point group pydantic loads its plugins from, as a section of ``entry_points.txt``."""
PLUGIN_LOADER = "pydantic.plugin._loader"
"""pydantic's plugin loader module: imported at the first model build, it imports importlib.metadata."""
PLUGINS_OFF = ("__all__", "1", "true")
"""The values of ``PYDANTIC_DISABLE_PLUGINS`` for which pydantic's ``get_plugins`` returns no plugins
without searching for any (``pydantic/plugin/_loader.py``)."""
GEN0_THRESHOLD = 50_000
"""Allocations between two young-generation collections in the console script (Python's default:
700). Start-up allocates about 250,000 objects (modules, classes, pydantic schemas) that all live
until exit, so the default's many passes over them free nothing."""


def pydantic_plugins_may_be_installed(path: Iterable[object] | None = None) -> bool:
    """False only if no distribution on ``path`` (default ``sys.path``) declares a pydantic plugin.

    pydantic looks for plugins, at the first model it builds, with ``importlib.metadata.entry_points(
    group="pydantic")``: it imports every installed distribution's metadata and parses every
    ``entry_points.txt`` into objects, which costs ~0.2 M instructions per installed distribution
    (13 M with the test extras installed). This reads the same files as bytes and looks for the
    group's section header. Anything it cannot read the way ``importlib.metadata`` would (a zip or
    egg on the path, a path entry that is not a string, another finder that discovers
    distributions, an unreadable ``entry_points.txt``) answers True, which leaves the search to pydantic.
    """
    for finder in sys.meta_path:
        if getattr(finder, "find_distributions", None) is not None and finder is not PathFinder:
            return True
    for entry in sys.path if path is None else path:
        if not isinstance(entry, str):
            return True
        root = entry or "."
        if os.path.basename(root.rstrip("/\\")).lower().endswith(".egg"):
            return True
        try:
            names = os.listdir(root)
        except NotADirectoryError:  # a zip file: importlib.metadata reads the distributions inside
            return True
        except OSError:  # missing or unreadable: importlib.metadata finds nothing there either
            continue
        for name in names:
            if not name.lower().endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(root, name, "entry_points.txt"), "rb") as f:
                    if PLUGIN_SECTION in f.read():
                        return True
            except (FileNotFoundError, NotADirectoryError):  # no entry points, or an egg-info file
                continue
            except OSError:
                return True
    return False


def skip_pydantic_plugin_scan() -> bool:
    """Tell pydantic there are no plugins, when :func:`pydantic_plugins_may_be_installed` proves it.

    Sets ``PYDANTIC_DISABLE_PLUGINS=__all__`` (pydantic's documented switch, which typer also sets
    while it builds its parameter adapters), so the first model build neither lists nor parses the
    installed distributions. A value the user set is kept; with a plugin installed nothing changes
    and pydantic loads it as always. Returns whether the scan is skipped.
    """
    if "PYDANTIC_DISABLE_PLUGINS" in os.environ or pydantic_plugins_may_be_installed():
        return False
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    return True


def _real_plugin_loader() -> types.ModuleType:
    """pydantic's own plugin loader module, imported in place of the stand-in."""
    if getattr(sys.modules.get(PLUGIN_LOADER), "__archcalc_stand_in__", False):
        del sys.modules[PLUGIN_LOADER]
    return importlib.import_module(PLUGIN_LOADER)


def _stand_in_get_plugins() -> Iterable[PydanticPluginProtocol]:
    """pydantic's ``get_plugins``: no plugins while the switch is off, else pydantic's own answer."""
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in PLUGINS_OFF:
        return ()
    return _real_plugin_loader().get_plugins()


def _stand_in_getattr(name: str) -> object:
    """Anything else pydantic may ask the loader module for comes from the real module (but not
    the module attributes the import system and ``repr`` look for, such as ``__file__``)."""
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(_real_plugin_loader(), name)


def defer_pydantic_plugin_loader() -> bool:
    """Put a stand-in for ``pydantic.plugin._loader`` in ``sys.modules``, before pydantic imports it.

    pydantic imports that module at the first model it builds, to call its ``get_plugins``; the
    module imports ``importlib.metadata`` at its top, and with it email, zipfile, csv, tempfile and
    more: ~45 M instructions, 5 % of a cold start, also when ``PYDANTIC_DISABLE_PLUGINS`` (set by
    :func:`skip_pydantic_plugin_scan`) makes ``get_plugins`` return nothing without a search. The
    stand-in's ``get_plugins`` returns ``()`` exactly when pydantic's returns it without searching
    (the switch is ``__all__``, ``1`` or ``true``); otherwise, and for any other name looked up on
    the module, it imports pydantic's own module in its place and asks it, so a plugin, or a switch
    set or cleared later, behaves as without the stand-in. Returns whether it was installed (not
    when pydantic's module is already imported).
    """
    if PLUGIN_LOADER in sys.modules:
        return False
    stand_in = types.ModuleType(PLUGIN_LOADER, "archcalc's stand-in until plugins are searched for")
    stand_in.__archcalc_stand_in__ = True  # type: ignore[attr-defined]
    stand_in.get_plugins = _stand_in_get_plugins  # type: ignore[attr-defined]
    stand_in.__getattr__ = _stand_in_getattr  # type: ignore[attr-defined]
    sys.modules[PLUGIN_LOADER] = stand_in
    return True


def quiet_collector() -> None:
    """Collect young objects every :data:`GEN0_THRESHOLD` allocations instead of every 700.

    Start-up builds long-lived objects only; at the default threshold the collector walks them again
    and again (3 % of the cold start's instructions). Garbage cycles are still collected, later."""
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)


def before_command() -> None:
    """What the console script does before it parses the command line."""
    skip_pydantic_plugin_scan()
    defer_pydantic_plugin_loader()
    quiet_collector()


def before_exit() -> None:
    """The interpreter's exit runs the cyclic collector over every object start-up made, to free
    nothing the process still needs (5 % of a cold start). Freezing them skips that pass; atexit
    handlers, stdout/stderr flushing and module teardown run as always."""
    gc.freeze()
