# SPDX-License-Identifier: GPL-2.0
# The x86_64 test VM: config (tinyconfig + fragments), kernel, modules and
# kselftest build, initramfs, the QEMU command and boot, KVM probe, the
# guest's kselftest TAP parsed (make vm-test, make demo).

import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import time

from . import common
from .common import (HarnessError, PKGS_BASE, PKGS_VM, SPLAT_RE,
                     ensure_packages, log, make_cc, make_env, no_counts, run,
                     scan_splats, step)
from .tree import change_files, need_tree


def fragment_lines(paths):
    want = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                m = re.match(r'(CONFIG_\w+)=(.*)', line)
                if m:
                    want[m.group(1)] = m.group(2)
                m = re.match(r'# (CONFIG_\w+) is not set', line)
                if m:
                    want[m.group(1)] = 'n'
    return want


def vm_fragments():
    return [os.path.join(common.CONFIG, 'vm.config')]


def vm_config(out):
    """Generate out/.config from tinyconfig + fragments when they changed."""
    frags = vm_fragments()
    h = hashlib.sha256()
    for path in frags:
        with open(path, 'rb') as f:
            h.update(f.read())
    stamp = os.path.join(out, '.netmem-config-stamp')
    digest = h.hexdigest()
    cfg = os.path.join(out, '.config')
    if os.path.exists(cfg) and os.path.exists(stamp) and \
            open(stamp).read() == digest:
        return
    base = ['make', '-C', common.TREE, f'O={out}', 'ARCH=x86_64', *make_cc()]
    run([*base, 'tinyconfig'], env=make_env())
    if common.DRY:
        return
    with open(cfg, 'a') as f:
        for path in frags:
            f.write(open(path).read())
    run([*base, 'olddefconfig'], env=make_env())
    have = {}
    for line in open(cfg):
        m = re.match(r'(CONFIG_\w+)=(.*)', line.strip())
        if m:
            have[m.group(1)] = m.group(2)
    bad = [f'{k}={v} (got {have.get(k, "n")})'
           for k, v in fragment_lines(frags).items() if have.get(k, 'n') != v]
    if bad:
        raise HarnessError('config fragment options did not stick (missing '
                           'dependency?):\n  ' + '\n  '.join(bad))
    with open(stamp, 'w') as f:
        f.write(digest)


def build_vm_kernel(out=None):
    ensure_packages(PKGS_BASE + PKGS_VM)
    need_tree()
    out = out or os.path.join(common.OUT, 'vm')
    os.makedirs(out, exist_ok=True)
    base = ['make', '-C', common.TREE, f'O={out}', 'ARCH=x86_64', *make_cc(),
            f'-j{common.JOBS}']
    with step('vm kernel config'):
        vm_config(out)
    with step('vm kernel build'):
        run([*base, 'bzImage', 'modules'], env=make_env())
        # the guest's modprobe looks here (MODPROBE_OPTIONS in guest/init)
        modroot = os.path.join(out, 'modroot')
        shutil.rmtree(modroot, ignore_errors=True)
        run([*base, f'INSTALL_MOD_PATH={modroot}', 'modules_install'],
            env=make_env())
    with step('uapi headers + selftests'):
        run([*base, 'headers'], env=make_env())
        ksft = os.path.join(out, 'kselftest_install')
        shutil.rmtree(ksft, ignore_errors=True)
        targets = ' '.join(selftest_targets())
        run(['make', '-C',
             os.path.join(common.TREE, 'tools/testing/selftests'), f'O={out}',
             f'TARGETS={targets}', f'KSFT_INSTALL_PATH={ksft}',
             f'-j{common.JOBS}', 'install'], env=make_env())
    return out


def selftest_targets():
    """kselftest collections we ship (dirs with a Makefile under selftests)."""
    pre = 'tools/testing/selftests/'
    targets = set()
    for rel, _ in change_files():
        if rel.startswith(pre) and os.path.basename(rel) == 'Makefile':
            targets.add(os.path.dirname(rel)[len(pre):])
    return sorted(targets)


def build_initramfs():
    ensure_packages(['busybox-static', 'cpio'])
    d = os.path.join(common.OUT, 'initramfs')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, 'bin'))
    for sub in ('proc', 'sys', 'dev', 'host', 'tmp'):
        os.makedirs(os.path.join(d, sub))
    shutil.copy('/bin/busybox', os.path.join(d, 'bin/busybox'))
    shutil.copy(os.path.join(common.GUEST, 'init'), os.path.join(d, 'init'))
    shutil.copy(os.path.join(common.GUEST, 'run.sh'),
                os.path.join(d, 'run.sh'))
    os.chmod(os.path.join(d, 'init'), 0o755)
    img = os.path.join(common.OUT, 'initramfs.cpio.gz')
    run(f'cd {shlex.quote(d)} && find . | cpio -o -H newc --quiet | gzip -1 > '
        f'{shlex.quote(img)}', quiet=True)
    return img


def kvm_usable(kernel, initrd):
    """Boot once under KVM with a short timeout; cache the verdict per boot."""
    if os.environ.get('ACCEL') in ('tcg', 'kvm'):
        return os.environ['ACCEL'] == 'kvm'
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        return False
    boot_id = open('/proc/sys/kernel/random/boot_id').read().strip()
    cache = os.path.join(common.BUILD, 'kvm-probe')
    if os.path.exists(cache):
        bid, verdict = open(cache).read().split()
        if bid == boot_id:
            return verdict == 'yes'
    with step('probe KVM (20 s timeout)'):
        ok = False
        try:
            p = subprocess.run(qemu_cmd(kernel, initrd, 'kvm', 'probe', None),
                               capture_output=True, text=True, timeout=20,
                               errors='replace')
            ok = 'NETMEM-PROBE-OK' in p.stdout
        except subprocess.TimeoutExpired:
            pass
        log(f'KVM: {"boots" if ok else "guest does not boot, using TCG"}')
    with open(cache, 'w') as f:
        f.write(f'{boot_id} {"yes" if ok else "no"}\n')
    return ok


# Environment variables passed on to the guest's tests (numbers only)
GUEST_KNOBS = ('FUZZ_SECS', 'FUZZ_SEED', 'HOSTILE_COUNT', 'HOSTILE_SEED')


def qemu_cmd(kernel, initrd, accel, mode, results, mem='512M'):
    # oops=panic: a guest whose kernel oopsed ends now (panic=-1 reboots,
    # -no-reboot exits) rather than at the boot timeout.
    append = ['console=ttyS0', 'panic=-1', 'oops=panic',
              'quiet' if mode == 'probe' else
              'loglevel=6', 'kmemleak=on', f'NETMEM_MODE={mode}',
              f'NETMEM_ROOT={common.ROOT}']
    if mode == 'swiotlb':
        # Every DMA mapping bounces, as in a confidential guest.
        append.append('swiotlb=force')
    cmd = ['qemu-system-x86_64', '-accel', accel, '-m', mem, '-smp', '2',
           '-cpu', 'max' if accel == 'tcg' else 'host',
           '-kernel', kernel, '-initrd', initrd, '-nographic', '-no-reboot',
           '-nodefaults', '-serial', 'stdio',
           '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,'
           'readonly=on,multidevs=remap',
           '-virtfs', f'local,path={common.ROOT},mount_tag=netmemroot,'
           'security_model=none,readonly=on,multidevs=remap']
    tests = os.environ.get('VM_TESTS', '')
    if tests and mode == 'test':
        # collection:test[,collection:test...], for run_kselftest.sh -t
        if not re.fullmatch(r'[\w./-]+:[\w.-]+(,[\w./-]+:[\w.-]+)*', tests):
            raise HarnessError(f'VM_TESTS={tests!r}: want collection:test[,...]')
        append.append(f'NETMEM_TESTS={tests}')
    # Budgets and seeds of the long-running tests, for longer runs on request
    knobs = [f'{k}={os.environ[k]}' for k in GUEST_KNOBS if os.environ.get(k)]
    for k in knobs:
        if not re.fullmatch(r'\w+=\d+', k):
            raise HarnessError(f'{k}: want a number')
    if knobs:
        append.append('NETMEM_KNOBS=' + ','.join(knobs))
    if results:
        append.append(f'NETMEM_RESULTS={results}')
        cmd += ['-virtfs', f'local,path={results},mount_tag=results,'
                'security_model=none,multidevs=remap']
    cmd += ['-append', ' '.join(append)]
    return cmd


def boot_vm(mode, results, timeout=3600):
    """Boot the VM kernel in a mode of guest/init. Returns (rc, splats)."""
    out = os.path.join(common.OUT, 'vm')
    kernel = os.path.join(out, 'arch/x86/boot/bzImage')
    initrd = build_initramfs()
    shutil.rmtree(results, ignore_errors=True)
    os.makedirs(results)
    accel = 'kvm' if kvm_usable(kernel, initrd) else 'tcg'
    cmd = qemu_cmd(kernel, initrd, accel, mode, results)
    console = os.path.join(results, 'console.log')
    log('+ ' + ' '.join(shlex.quote(c) for c in cmd) + f' > {console}')
    if common.DRY:
        return 0, []
    t0 = time.monotonic()
    with open(console, 'w') as con:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                text=True, errors='replace')
        timed_out = False
        try:
            for line in proc.stdout:
                con.write(line)
                con.flush()
                if line.startswith('NETMEM:') or re.match(
                        r'(ok|not ok) \d+ ', line) or SPLAT_RE.search(line):
                    log(f'  guest| [{time.monotonic() - t0:5.0f}s] ' +
                        line.rstrip())
                if time.monotonic() - t0 > timeout:
                    timed_out = True
                    break
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    log(f'guest ran {time.monotonic() - t0:.1f}s ({accel}); console in '
        f'{os.path.relpath(console, common.ROOT)}')
    rc_file = os.path.join(results, 'rc')
    rc = int(open(rc_file).read()) if os.path.exists(rc_file) else None
    if timed_out:
        log(f'guest timed out after {timeout}s')
        rc = None
    splats = scan_splats(console)
    dmesg = os.path.join(results, 'dmesg.txt')
    if os.path.exists(dmesg):
        splats += [s for s in scan_splats(dmesg) if s not in splats]
    leak = os.path.join(results, 'kmemleak.txt')
    if os.path.exists(leak) and os.path.getsize(leak):
        splats.append('kmemleak: ' + open(leak).readline().strip())
    return rc, splats


def parse_ksft_tap(path):
    counts = no_counts()
    failed = []
    if not os.path.exists(path):
        return counts, failed
    for line in open(path, errors='replace'):
        m = re.match(r'(ok|not ok) \d+ (.*?)(\s+#\s*(SKIP|TODO).*)?$', line.strip())
        if not m:
            continue
        if m.group(4) == 'SKIP':
            counts['skipped'] += 1
        elif m.group(1) == 'ok':
            counts['passed'] += 1
        else:
            counts['failed'] += 1
            failed.append(m.group(2))
    return counts, failed


def vm_boot_results(mode, results, counts, failed):
    """Boot in @mode, add its TAP results and failures to the totals."""
    with step(f'vm-test (QEMU, {mode})'):
        rc, splats = boot_vm(mode, results)
    if common.DRY:
        return
    c, f = parse_ksft_tap(os.path.join(results, 'kselftest.tap'))
    for k in counts:
        counts[k] += c[k]
    failed += [f'{mode}: {name}' for name in f]
    if rc is None:
        failed.append(f'<{mode}: guest did not finish>')
    elif rc != 0 and not f:
        failed.append(f'<{mode}: runner exit {rc}>')
    if splats:
        log(f'vm-test ({mode}): guest kernel log has splats:\n  ' +
            '\n  '.join(splats[:20]))
        failed.append(f'<{mode}: kernel log splat>')


def run_vm_test():
    build_vm_kernel()
    results = os.path.join(common.RESULTS, 'vm')
    counts, failed = no_counts(), []
    vm_boot_results('test', results, counts, failed)
    # A second boot with every DMA bounced, unless a subset was asked for.
    if not os.environ.get('VM_TESTS'):
        vm_boot_results('swiotlb', os.path.join(common.RESULTS, 'vm-swiotlb'),
                        counts, failed)
    if common.DRY:
        return True, {'passed': 0, 'failed': 0, 'skipped': 0}, []
    if sum(counts.values()) == 0:
        failed.append('<no tests>')
    counts['failed'] = max(counts['failed'], len(failed))
    log(f'vm-test: {counts["passed"]} passed, {counts["failed"]} failed, '
        f'{counts["skipped"]} skipped; results in '
        f'{os.path.relpath(results, common.ROOT)}')
    return not failed, counts, failed


def cmd_vm_test():
    ok, counts, failed = run_vm_test()
    if failed:
        log('failed: ' + ', '.join(failed))
    return 0 if ok else 1


def cmd_demo():
    build_vm_kernel()
    results = os.path.join(common.RESULTS, 'demo')
    with step('demo (QEMU)'):
        rc, splats = boot_vm('demo', results)
    if common.DRY:
        return 0
    out = os.path.join(results, 'demo.txt')
    if os.path.exists(out):
        log(open(out).read())
    if splats:
        log('demo: guest kernel log has splats:\n  ' + '\n  '.join(splats[:20]))
    return 0 if rc == 0 and not splats else 1
