# SPDX-License-Identifier: GPL-2.0
# Entry point, behind the Makefile: python3 -m harness <command>. Owns the
# COMMANDS table and main(); the docstring below is the usage text (and
# what "make help" prints: keep the Makefile's line range in step).
"""Harness for the netmem change on Debian's Linux 6.1 source.

  tree        assemble build/linux: base commit 'base' + linux/ applied on top
  save        write the tree's diff against 'base' back into linux/
  save-check  list tree edits that linux/ does not have (non-zero if any)
  kunit       UML KUnit run of every suite we ship (.kunitconfig files)
  vm-test     x86_64 kernel in QEMU, our kselftests inside, splat scan
  check       kunit + vm-test + static checks + harness self-tests, as a table
  demo        boot the patched kernel and show the feature
  selftest    prove the harness fails when it must
  cocci       netmem semantic patches: cases, drivers/net run, driver builds
  cocci-apply write the conversion of drivers/net into build/linux
  bench       page_pool micro-benchmark, base 6.1 vs patched, UML
  audit-doc   rewrite netmem.rst's list of fixed sites from unreadable.list

Every step prints its command and its time. DRY_RUN=1 prints commands
without running anything that changes state. Python 3 standard library only.
"""

import os
import sys

from . import common
from .common import HarnessError, log, step
from .tree import cmd_save, cmd_save_check, cmd_tree
from .kunit import cmd_kunit
from .vm import cmd_demo, cmd_vm_test
from .sizes import cmd_sizes
from .selftest import cmd_selftest
from .bench import cmd_bench
from .cocci import cmd_audit_doc, cmd_cocci, cmd_cocci_apply
from .check import cmd_check


COMMANDS = {
    'tree': cmd_tree, 'save': cmd_save, 'save-check': cmd_save_check,
    'kunit': cmd_kunit, 'vm-test': cmd_vm_test, 'check': cmd_check,
    'demo': cmd_demo, 'selftest': cmd_selftest, 'sizes': cmd_sizes,
    'cocci': cmd_cocci, 'cocci-apply': cmd_cocci_apply,
    'bench': cmd_bench, 'audit-doc': cmd_audit_doc,
}


def main(argv):
    if len(argv) != 2 or argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    os.makedirs(common.BUILD, exist_ok=True)
    try:
        with step(f'harness {argv[1]}{" (dry run)" if common.DRY else ""}'):
            rc = COMMANDS[argv[1]]()
    except HarnessError as e:
        log(f'error: {e}')
        return 1
    return rc or 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
