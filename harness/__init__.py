# SPDX-License-Identifier: GPL-2.0
# The harness as a package: "python3 -m harness <command>" runs a command
# (__main__.py); "import harness" gives every module's functions and
# constants at the top level, as harness.py did (harness.TREE, run_kunit()).
"""Harness for the netmem change on Debian's Linux 6.1 source: see
__main__.py for the commands and README.md for the project."""

import sys
import types

# In dependency order: each module imports only from those before it.
from . import common, tree, kunit, vm, static, sizes, selftest, bench, cocci
from . import check

_MODULES = (common, tree, kunit, vm, static, sizes, selftest, bench, cocci,
            check)

# Every public name of every module, here. A name a module imports from
# an earlier one is the same object; the first module that has it owns it.
_OWNER = {}
for _mod in _MODULES:
    for _name, _value in vars(_mod).items():
        if _name.startswith('_') or isinstance(_value, types.ModuleType) \
                or _name in _OWNER:
            continue
        _OWNER[_name] = _mod
        globals()[_name] = _value
del _mod, _name, _value


class _Harness(types.ModuleType):
    """Setting harness.X sets it in the module that owns X, so that e.g.
    "harness.DRY = True" or "harness.OUT = ..." still reach the code: the
    modules read DRY, JOBS, CCACHE_DIR and the paths through their owner
    (common.DRY, common.TREE, tree.BASE_TREE), never as copies."""

    def __setattr__(self, name, value):
        owner = _OWNER.get(name)
        if owner is not None:
            setattr(owner, name, value)
        super().__setattr__(name, value)

    def __getattr__(self, name):
        # The command table and main() live in __main__.py, imported only
        # on demand: importing it here would run it twice under "-m".
        if name in ('COMMANDS', 'main'):
            from . import __main__
            return getattr(__main__, name)
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


sys.modules[__name__].__class__ = _Harness
