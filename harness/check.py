# SPDX-License-Identifier: GPL-2.0
# make check: every suite in turn, the results table (build/results/
# check.txt) and CI's closing line; ALLOW_SKIP, SKIP_SELFTEST.

import os
import time

from . import common
from .common import HarnessError, log
from .tree import need_tree
from .kunit import run_kunit
from .vm import run_vm_test
from .static import (run_checkpatch, run_kernel_doc, run_sparse,
                     run_sparse_expect, run_uapi_numbers)
from .sizes import run_sizes
from .selftest import run_selftests
from .cocci import run_cocci


def cmd_check():
    need_tree()
    os.environ.pop('VM_TESTS', None)  # check runs every test
    os.makedirs(common.RESULTS, exist_ok=True)
    rows = []
    allow_skip = os.environ.get('ALLOW_SKIP') == '1'

    def suite(name, fn):
        t0 = time.monotonic()
        try:
            res = fn()
            ok, counts = res[0], res[1]
        except Exception as e:  # one broken suite must not hide the others
            if not isinstance(e, HarnessError):
                import traceback
                traceback.print_exc()
            log(f'{name}: {e}')
            ok, counts = False, {'passed': 0, 'failed': 1, 'skipped': 0}
        if counts['skipped'] and not allow_skip:
            log(f'{name}: {counts["skipped"]} skipped (a skip is not a pass; '
                'ALLOW_SKIP=1 to accept)')
            ok = False
        rows.append((name, counts, time.monotonic() - t0, ok))

    suite('kunit', run_kunit)
    suite('vm-test', run_vm_test)
    suite('checkpatch', run_checkpatch)
    suite('sparse', run_sparse)
    suite('sparse-misuse', run_sparse_expect)
    suite('kernel-doc', run_kernel_doc)
    suite('uapi-numbers', run_uapi_numbers)
    suite('sizes', run_sizes)
    suite('cocci', run_cocci)
    if os.environ.get('SKIP_SELFTEST') != '1':
        suite('harness-selftest', run_selftests)

    lines = [f'{"suite":<18} {"passed":>7} {"failed":>7} {"skipped":>8} '
             f'{"seconds":>8}  result']
    tot = {'passed': 0, 'failed': 0, 'skipped': 0}
    for name, c, dt, ok in rows:
        lines.append(f'{name:<18} {c["passed"]:>7} {c["failed"]:>7} '
                     f'{c["skipped"]:>8} {dt:>8.0f}  {"PASS" if ok else "FAIL"}')
        for k in tot:
            tot[k] += c[k]
    table = '\n'.join(lines)
    with open(os.path.join(common.RESULTS, 'check.txt'), 'w') as f:
        f.write(table + '\n')
    log('\n' + table)
    all_ok = all(r[3] for r in rows)
    # One plain closing line for CI's reader.
    log(f'check: {tot["passed"]} passed, {tot["failed"]} failed, '
        f'{tot["skipped"]} skipped')
    return 0 if all_ok else 1
