# SPDX-License-Identifier: GPL-2.0
# make selftest: the harness proves it fails when it must (a failing
# KUnit case, a guest WARN_ON) and that save + tree round-trip.

import os
import shutil

from . import common
from .common import HarnessError, git, log, step
from .tree import change_files, cmd_save, cmd_tree, need_tree, unsaved_edits
from .kunit import run_kunit
from .vm import boot_vm, build_vm_kernel


SELFTEST_KUNIT = 'lib/kunit/netmem_harness_fail_test.c'


def selftest_kunit_fails():
    """A KUnit case that fails must make the kunit step fail."""
    src = os.path.join(common.ROOT, 'tests/harness/kunit_fail_test.c')
    dst = os.path.join(common.TREE, SELFTEST_KUNIT)
    mk = os.path.join(common.TREE, 'lib/kunit/Makefile')
    mk_old = open(mk).read()
    try:
        shutil.copy(src, dst)
        with open(mk, 'a') as f:
            f.write('obj-$(CONFIG_KUNIT) += netmem_harness_fail_test.o\n')
        ok, counts, failed = run_kunit(
            results=os.path.join(common.RESULTS, 'selftest-kunit'))
    finally:
        with open(mk, 'w') as f:
            f.write(mk_old)
        if os.path.exists(dst):
            os.unlink(dst)
    want = 'netmem_harness_selftest.netmem_harness_selftest_must_fail'
    hit = not ok and any(f and f.endswith('must_fail') for f in failed)
    log(f'selftest: failing KUnit case {"detected" if hit else "NOT detected"} '
        f'(failed: {failed}; expected {want})')
    return hit


def selftest_vm_warn():
    """A WARN_ON in the guest kernel must fail the VM run."""
    build_vm_kernel()
    rc, splats = boot_vm('selftest-warn',
                         os.path.join(common.RESULTS, 'selftest-vm'),
                         timeout=600)
    hit = rc == 0 and any('WARNING:' in s for s in splats)
    log(f'selftest: guest WARN_ON {"detected" if hit else "NOT detected"} '
        f'(runner rc {rc}, {len(splats)} splat lines)')
    return hit


def selftest_roundtrip():
    """make save then make tree reproduces the same tree; save is idempotent."""
    if unsaved_edits():
        cmd_save()
    before = git('rev-parse', 'HEAD^{tree}').stdout.strip()
    snap = {rel: open(ap, 'rb').read() for rel, ap in change_files()}
    cmd_save()
    again = {rel: open(ap, 'rb').read() for rel, ap in change_files()}
    cmd_tree()
    after = git('rev-parse', 'HEAD^{tree}').stdout.strip()
    ok = before == after and snap == again and not unsaved_edits()
    log(f'selftest: save/tree round trip {"identical" if ok else "DIFFERS"} '
        f'({before[:12]} -> {after[:12]}, save idempotent: {snap == again})')
    return ok


def run_selftests():
    need_tree()
    if common.DRY:
        log('+ (dry run) harness self-tests: kunit-fail, vm-warn, round trip')
        return True, {'passed': 0, 'failed': 0, 'skipped': 0}
    results = {}
    for name, fn in (('save/tree round trip', selftest_roundtrip),
                     ('failing KUnit case fails kunit', selftest_kunit_fails),
                     ('guest WARN fails vm-test', selftest_vm_warn)):
        with step(f'harness self-test: {name}'):
            try:
                results[name] = fn()
            except HarnessError as e:
                log(f'  error: {e}')
                results[name] = False
    with open(os.path.join(common.RESULTS, 'selftest.tap'), 'w') as f:
        f.write(f'TAP version 13\n1..{len(results)}\n')
        for i, (name, ok) in enumerate(results.items(), 1):
            f.write(f'{"ok" if ok else "not ok"} {i} {name}\n')
    n_ok = sum(results.values())
    return n_ok == len(results), {'passed': n_ok,
                                  'failed': len(results) - n_ok, 'skipped': 0}


def cmd_selftest():
    ok, _ = run_selftests()
    return 0 if ok else 1
