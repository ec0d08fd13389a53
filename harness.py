#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
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

import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
CHANGE = os.path.join(ROOT, 'linux')
BUILD = os.path.join(ROOT, 'build')
TREE = os.path.join(BUILD, 'linux')
OUT = os.path.join(BUILD, 'out')
RESULTS = os.path.join(BUILD, 'results')
CONFIG = os.path.join(ROOT, 'config')
GUEST = os.path.join(ROOT, 'guest')

SRC_PKG = 'linux-source-6.1'
TARBALL = '/usr/src/linux-source-6.1.tar.xz'
BASE_TAG = 'base'
GIT_ID = ['-c', 'user.name=netmem harness', '-c', 'user.email=harness@invalid',
          '-c', 'commit.gpgsign=false', '-c', 'gc.auto=0']

DRY = os.environ.get('DRY_RUN', '') not in ('', '0')
JOBS = os.cpu_count() or 1
CCACHE_DIR = os.environ.get('CCACHE_DIR',
                            os.path.expanduser('~/.cache/netmem-ccache'))

# Packages each command needs; installed on demand with apt-get.
PKGS_BASE = ['git', 'make', 'gcc', 'python3', 'xz-utils', 'ccache', 'flex',
             'bison', 'bc', 'libelf-dev', 'libssl-dev', 'perl', 'cpio']
PKGS_VM = ['qemu-system-x86', 'busybox-static', 'iproute2', 'ethtool', 'rsync',
           'liburing-dev', 'procps', 'iptables', 'nftables', 'kmod']
PKGS_CHECK = ['sparse']

# Kernel log lines that fail a run even when every test passed.
SPLAT_RE = re.compile(
    r'(WARNING:|BUG:|BUG kmalloc|Oops|Kernel panic|general protection fault|'
    r'KASAN:|UBSAN:|kmemleak: \d+ new suspected memory leaks|'
    r'unreferenced object 0x|'
    r'possible recursive locking|possible circular locking|'
    r'inconsistent lock state|possible irq lock inversion|'
    r'INFO: task .* blocked|'
    r'RCU detected stall|refcount_t: |list_(add|del) corruption|'
    r'page_pool_release_retry|stalled pool shutdown)')


class HarnessError(Exception):
    pass


def log(msg):
    print(msg, flush=True)


@contextlib.contextmanager
def step(name):
    log(f'==> {name}')
    t0 = time.monotonic()
    ok = False
    try:
        yield
        ok = True
    finally:
        dt = time.monotonic() - t0
        log(f'<== {name}: {"done" if ok else "FAILED"} in {dt:.1f}s')


def run(cmd, cwd=None, env=None, check=True, capture=False, query=False,
        stdin=None, quiet=False, timeout=None, shown=None):
    """Run a command, printing it first. query=True runs it in dry-run too."""
    if shown is None:
        shown = cmd if isinstance(cmd, str) else \
            ' '.join(shlex.quote(c) for c in cmd)
    if not quiet:
        log(f'+ {shown}' + (f'    (in {cwd})' if cwd and cwd != ROOT else ''))
    if DRY and not query:
        return subprocess.CompletedProcess(cmd, 0, '', '')
    full_env = os.environ.copy()
    if env:
        full_env.update(env)
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, env=full_env, shell=isinstance(cmd, str),
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None,
                       input=stdin, text=True if capture or stdin else None,
                       timeout=timeout)
    if not quiet and time.monotonic() - t0 > 5:
        log(f'    ({time.monotonic() - t0:.1f}s)')
    if check and p.returncode != 0:
        if capture:
            sys.stderr.write(p.stdout or '')
            sys.stderr.write(p.stderr or '')
        raise HarnessError(f'command failed ({p.returncode}): {shown}')
    return p


def git(*args, capture=True, check=True, env=None, query=True, quiet=True):
    return run(['git', *GIT_ID, *args], cwd=TREE, capture=capture,
               check=check, env=env, query=query, quiet=quiet,
               shown='git ' + ' '.join(shlex.quote(a) for a in args))


# ---------------------------------------------------------------- packages

_apt_updated = False


def ensure_packages(pkgs):
    missing = []
    for pkg in pkgs:
        name = pkg.split('=')[0]
        p = subprocess.run(['dpkg-query', '-W', '-f=${Status} ${Version}', name],
                           capture_output=True, text=True)
        have = p.returncode == 0 and p.stdout.startswith('install ok installed')
        if '=' in pkg:
            have = have and p.stdout.split()[-1] == pkg.split('=')[1]
        if not have:
            missing.append(pkg)
    if not missing:
        return
    apt_update()
    run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', *missing],
        env={'DEBIAN_FRONTEND': 'noninteractive'})


def apt_update():
    global _apt_updated
    if not _apt_updated:
        run(['apt-get', 'update', '-q'])
        _apt_updated = True


def installed_version(pkg):
    p = subprocess.run(['dpkg-query', '-W', '-f=${Status} ${Version}', pkg],
                       capture_output=True, text=True)
    if p.returncode == 0 and p.stdout.startswith('install ok installed'):
        return p.stdout.split()[-1]
    return None


def base_version():
    with open(os.path.join(ROOT, 'BASE_VERSION')) as f:
        return f.read().strip()


def ensure_base_source():
    """Install linux-source-6.1 at BASE_VERSION, or the newest with a warning."""
    want = base_version()
    have = installed_version(SRC_PKG)
    if have == want and os.path.exists(TARBALL):
        return have
    apt_update()
    p = run(['apt-cache', 'madison', SRC_PKG], capture=True, query=True)
    offered = [line.split('|')[1].strip() for line in p.stdout.splitlines()
               if '|' in line]
    if want in offered:
        ensure_packages([f'{SRC_PKG}={want}'])
        return want
    if not offered:
        raise HarnessError(f'{SRC_PKG} is not in the apt archive')
    log(f'WARNING: {SRC_PKG} {want} (BASE_VERSION, what the change is tested '
        f'on) is gone from the archive; using {offered[0]}. If any part of '
        f'linux/ does not apply, the change must be rebased.')
    ensure_packages([SRC_PKG])
    return installed_version(SRC_PKG)


# ---------------------------------------------------------------- tree

def tree_base_version():
    path = os.path.join(TREE, '.git', 'netmem-base-version')
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    return None


# Debian's tarball .gitignore ignores everything at the top level ("/*"), so
# the tree's own ignore rules cannot tell new files from junk: ours do.
TREE_EXCLUDES = ['__pycache__/', '*.pyc', '*.o', '*.orig', '*.rej', '*~',
                 '.*.swp', '.kunit/', '/.git/']


def excludes_file():
    path = os.path.join(TREE, '.git', 'netmem-exclude')
    with open(path, 'w') as f:
        f.write('\n'.join(TREE_EXCLUDES) + '\n')
    return path


def untracked_files():
    p = git('ls-files', '-z', '-o', f'--exclude-from={excludes_file()}')
    return [f for f in p.stdout.split('\0') if f]


def stage_all():
    """Stage every edit, new file and deletion of the tree (not junk)."""
    git('add', '-u', '.', query=False)
    new = untracked_files()
    for i in range(0, len(new), 500):
        git('add', '-f', '--', *new[i:i + 500], query=False)


def unsaved_edits():
    """Paths in the tree changed since the last 'make tree' or 'make save'."""
    if not os.path.isdir(os.path.join(TREE, '.git')):
        return []
    p = git('diff', '--name-only', '-z', '--no-renames', 'HEAD')
    return sorted({f for f in p.stdout.split('\0') if f} | set(untracked_files()))


def change_files():
    """Files of linux/: (relpath, abspath), sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(CHANGE):
        dirnames.sort()
        for fn in sorted(filenames):
            ap = os.path.join(dirpath, fn)
            out.append((os.path.relpath(ap, CHANGE), ap))
    return out


def extract_base(version):
    tmp = os.path.join(BUILD, 'extract.tmp')
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(TREE, ignore_errors=True)
    os.makedirs(tmp)
    run(['tar', '-xf', TARBALL, '-C', tmp])
    if not DRY:
        os.rename(os.path.join(tmp, 'linux-source-6.1'), TREE)
        os.rmdir(tmp)
    git('init', '-q', '-b', 'netmem', query=False, quiet=False)
    git('config', 'core.untrackedCache', 'true', query=False)
    git('config', 'core.preloadIndex', 'true', query=False)
    # -f: the base is the whole tarball, even files .gitignore names.
    git('add', '-A', '-f', '.', query=False, quiet=False)
    git('commit', '-q', '-m', f'base: {SRC_PKG} {version}', query=False,
        quiet=False)
    git('tag', '-f', BASE_TAG, query=False)
    if not DRY:
        with open(os.path.join(TREE, '.git', 'netmem-base-version'), 'w') as f:
            f.write(version + '\n')


def apply_change():
    """Commit base + linux/ and check it out, touching only files that differ.

    The commit is built in a scratch index so that files already in the
    wanted state keep their mtime and the next build stays incremental.
    """
    idx = os.path.join(TREE, '.git', 'netmem-apply.index')
    env = {'GIT_INDEX_FILE': idx}
    if os.path.exists(idx):
        os.unlink(idx)
    git('read-tree', BASE_TAG, env=env, query=False)
    patches = []
    for rel, ap in change_files():
        if rel.endswith('.patch'):
            patches.append(ap)
            continue
        blob = git('hash-object', '-w', ap, query=False).stdout.strip()
        mode = '100755' if os.access(ap, os.X_OK) else '100644'
        git('update-index', '--add', '--cacheinfo', f'{mode},{blob},{rel}',
            env=env, query=False)
    if patches:
        p = git('apply', '--cached', '--whitespace=nowarn', *patches,
                env=env, check=False, query=False)
        if p.returncode != 0:
            sys.stderr.write(p.stderr)
            raise HarnessError(
                f'linux/ does not apply to {SRC_PKG} {tree_base_version()} '
                f'(the change is tested on {base_version()}); rebase the '
                f'failing .patch files listed above')
    if DRY:
        return
    tree = git('write-tree', env=env).stdout.strip()
    os.unlink(idx)
    head_tree = git('rev-parse', 'HEAD^{tree}').stdout.strip()
    if tree != head_tree:
        repo_rev = run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT,
                       capture=True, check=False, query=True, quiet=True)
        msg = f'netmem change (linux/ of {repo_rev.stdout.strip() or "?"})'
        commit = git('commit-tree', tree, '-p', BASE_TAG, '-m', msg).stdout.strip()
        git('reset', '-q', '--hard', commit, quiet=False)
    for path in untracked_files():
        os.unlink(os.path.join(TREE, path))


def cmd_tree():
    ensure_packages(PKGS_BASE)
    with step('base source'):
        version = ensure_base_source()
        log(f'base: {SRC_PKG} {version}')
    edits = unsaved_edits()
    if edits and os.environ.get('FORCE') != '1':
        raise HarnessError(
            'build/linux holds unsaved edits; run "make save" first (or '
            'FORCE=1 make tree to throw them away):\n  ' + '\n  '.join(edits[:50]))
    with step('assemble build/linux'):
        if tree_base_version() != version:
            extract_base(version)
        apply_change()
    n = len(change_files())
    log(f'build/linux: {SRC_PKG} {version} + {n} files of linux/')


def tree_change():
    """The tree's change against base as {relpath-in-linux/: (bytes, mode)}."""
    stage_all()
    p = git('diff', '--cached', '--name-status', '--no-renames', '-z', BASE_TAG)
    fields = p.stdout.split('\0')
    want = {}
    for i in range(0, len(fields) - 1, 2):
        status, path = fields[i], fields[i + 1]
        if status == 'A':
            if path.endswith('.patch'):
                raise HarnessError(f'new file {path} ends in .patch: that name '
                                   'is reserved for diffs of base files')
            full = os.path.join(TREE, path)
            with open(full, 'rb') as f:
                data = f.read()
            mode = 0o755 if os.access(full, os.X_OK) else 0o644
            want[path] = (data, mode)
        else:
            d = run(['git', 'diff', '--cached', '--no-renames', '--no-color',
                     '--no-ext-diff', BASE_TAG, '--', path], cwd=TREE,
                    capture=True, query=True, quiet=True).stdout
            want[path + '.patch'] = (d.encode(), 0o644)
    return want


def cmd_save():
    if DRY:
        log('+ (dry run) write the diff of build/linux against base into linux/')
        return
    if not os.path.isdir(os.path.join(TREE, '.git')):
        raise HarnessError('no build/linux: run "make tree" first')
    want = tree_change()
    have = dict(change_files())
    written = removed = 0
    for rel, (data, mode) in sorted(want.items()):
        dst = os.path.join(CHANGE, rel)
        old = None
        if rel in have:
            with open(dst, 'rb') as f:
                old = f.read()
        if old != data:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, 'wb') as f:
                f.write(data)
            written += 1
            log(f'  saved linux/{rel}')
        if (os.stat(dst).st_mode & 0o777) != mode:
            os.chmod(dst, mode)
    for rel, ap in have.items():
        if rel not in want:
            os.unlink(ap)
            removed += 1
            log(f'  removed linux/{rel}')
    for dirpath, dirnames, filenames in os.walk(CHANGE, topdown=False):
        if dirpath != CHANGE and not os.listdir(dirpath):
            os.rmdir(dirpath)
    # The tree's HEAD now matches linux/: later edits show as unsaved.
    if git('diff', '--cached', '--quiet', 'HEAD', check=False).returncode:
        git('commit', '-q', '-m', 'saved to linux/', query=False)
    log(f'save: {len(want)} files in linux/, {written} written, {removed} removed')


def cmd_save_check():
    edits = unsaved_edits()
    if edits:
        log('build/linux holds edits not saved into linux/ (run "make save"):')
        for e in edits:
            log(f'  {e}')
        return 1
    return 0


# ---------------------------------------------------------------- builds

def make_env():
    os.makedirs(CCACHE_DIR, exist_ok=True)
    return {'CCACHE_DIR': CCACHE_DIR, 'CCACHE_BASEDIR': TREE,
            'CCACHE_NOHASHDIR': '1', 'CCACHE_MAXSIZE': '15G',
            'PYTHONDONTWRITEBYTECODE': '1',
            'CCACHE_SLOPPINESS': 'time_macros,include_file_mtime,include_file_ctime'}


def make_cc():
    return ['CC=ccache gcc', 'HOSTCC=ccache gcc']


def need_tree():
    if not os.path.isdir(os.path.join(TREE, '.git')) and not DRY:
        cmd_tree()


def shipped_kunitconfigs():
    return [os.path.join(TREE, rel) for rel, _ in change_files()
            if os.path.basename(rel) == '.kunitconfig']


def kunit_config_file(extra=()):
    """config/uml.config + every .kunitconfig we ship, deduplicated."""
    lines = []
    for path in [os.path.join(CONFIG, 'uml.config'), *shipped_kunitconfigs(),
                 *extra]:
        with open(path) as f:
            for line in f:
                line = line.strip()
                keep = line.startswith('CONFIG_') or \
                    re.match(r'# CONFIG_\w+ is not set$', line)
                if keep and line not in lines:
                    lines.append(line)
    dst = os.path.join(OUT, 'uml.kunitconfig')
    os.makedirs(OUT, exist_ok=True)
    with open(dst, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return dst


def parse_kunit_json(path):
    """Count test cases in kunit.py's JSON, walking nested suites."""
    counts = no_counts()
    failed = []

    def walk(group, prefix):
        for case in group.get('test_cases', []):
            key = {'PASS': 'passed', 'SKIP': 'skipped'}.get(case.get('status'),
                                                          'failed')
            counts[key] += 1
            if key == 'failed':
                failed.append(f'{prefix}{case.get("name")}')
        for sub in group.get('sub_groups', []):
            walk(sub, f'{sub.get("name")}.')

    with open(path) as f:
        walk(json.load(f), '')
    return counts, failed


def scan_splats(path):
    """Splat lines of a kernel log.

    A test that makes the kernel warn on purpose brackets the call with
    NETMEM_EXPECT_SPLAT_BEGIN / NETMEM_EXPECT_SPLAT_END lines: splats inside
    are expected, and a bracket with no splat inside is itself reported.
    """
    hits, inside, seen, what = [], False, False, ''
    with open(path, errors='replace') as f:
        for line in f:
            if 'NETMEM_EXPECT_SPLAT_BEGIN' in line:
                inside, seen = True, False
                what = line.split('NETMEM_EXPECT_SPLAT_BEGIN', 1)[1].strip()
            elif 'NETMEM_EXPECT_SPLAT_END' in line:
                if inside and not seen:
                    hits.append(f'expected splat did not happen: {what}')
                inside = False
            elif SPLAT_RE.search(line):
                if inside:
                    seen = True
                else:
                    hits.append(line.rstrip())
    if inside:
        hits.append(f'unterminated expected-splat bracket: {what}')
    return hits


def run_kunit(build_dir=None, results=None, extra_configs=()):
    """Build and run the UML KUnit kernel. Returns (ok, counts, failed)."""
    ensure_packages(PKGS_BASE)
    need_tree()
    build_dir = build_dir or os.path.join(OUT, 'uml')
    results = results or os.path.join(RESULTS, 'kunit')
    os.makedirs(results, exist_ok=True)
    kcfg = kunit_config_file(extra_configs)
    jpath = os.path.join(results, 'results.json')
    if os.path.exists(jpath):
        os.unlink(jpath)
    cmd = [sys.executable, 'tools/testing/kunit/kunit.py', 'run',
           f'--build_dir={build_dir}', f'--kunitconfig={kcfg}',
           f'--jobs={JOBS}', '--timeout=900', f'--json={jpath}']
    for opt in make_cc():
        cmd += ['--make_options', opt]
    env = make_env()
    with step('kunit (UML)'):
        p = run(cmd, cwd=TREE, env=env, check=False)
    if DRY:
        return True, {'passed': 0, 'failed': 0, 'skipped': 0}, []
    raw = os.path.join(build_dir, 'test.log')
    if os.path.exists(raw):
        shutil.copy(raw, os.path.join(results, 'test.log'))
        tap = [l for l in open(raw, errors='replace')
               if re.match(r'\s*(#|ok|not ok|TAP|KTAP|1\.\.)', l)]
        with open(os.path.join(results, 'kunit.tap'), 'w') as f:
            f.writelines(tap)
    if not os.path.exists(jpath):
        log('kunit: no results (build or boot failed; see output above)')
        return False, {'passed': 0, 'failed': 1, 'skipped': 0}, ['<build/boot>']
    counts, failed = parse_kunit_json(jpath)
    splats = scan_splats(raw) if os.path.exists(raw) else []
    if splats:
        log('kunit: kernel log has splats:\n  ' + '\n  '.join(splats[:20]))
        failed.append('<kernel log splat>')
        counts['failed'] += 1
    total = sum(counts.values())
    if total == 0:
        log('kunit: no test case ran')
        counts['failed'] += 1
        failed.append('<no tests>')
    ok = p.returncode == 0 and not failed
    log(f'kunit: {counts["passed"]} passed, {counts["failed"]} failed, '
        f'{counts["skipped"]} skipped; TAP in {os.path.relpath(results, ROOT)}')
    return ok, counts, failed


def cmd_kunit():
    ok, counts, failed = run_kunit()
    if failed:
        log('failed: ' + ', '.join(failed))
    return 0 if ok else 1


# ---------------------------------------------------------------- VM

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
    return [os.path.join(CONFIG, 'vm.config')]


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
    base = ['make', '-C', TREE, f'O={out}', 'ARCH=x86_64', *make_cc()]
    run([*base, 'tinyconfig'], env=make_env())
    if DRY:
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
    out = out or os.path.join(OUT, 'vm')
    os.makedirs(out, exist_ok=True)
    base = ['make', '-C', TREE, f'O={out}', 'ARCH=x86_64', *make_cc(),
            f'-j{JOBS}']
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
        run(['make', '-C', os.path.join(TREE, 'tools/testing/selftests'),
             f'O={out}', f'TARGETS={targets}', f'KSFT_INSTALL_PATH={ksft}',
             f'-j{JOBS}', 'install'], env=make_env())
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
    d = os.path.join(OUT, 'initramfs')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, 'bin'))
    for sub in ('proc', 'sys', 'dev', 'host', 'tmp'):
        os.makedirs(os.path.join(d, sub))
    shutil.copy('/bin/busybox', os.path.join(d, 'bin/busybox'))
    shutil.copy(os.path.join(GUEST, 'init'), os.path.join(d, 'init'))
    shutil.copy(os.path.join(GUEST, 'run.sh'), os.path.join(d, 'run.sh'))
    os.chmod(os.path.join(d, 'init'), 0o755)
    img = os.path.join(OUT, 'initramfs.cpio.gz')
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
    cache = os.path.join(BUILD, 'kvm-probe')
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
              f'NETMEM_ROOT={ROOT}']
    if mode == 'swiotlb':
        # Every DMA mapping bounces, as in a confidential guest.
        append.append('swiotlb=force')
    cmd = ['qemu-system-x86_64', '-accel', accel, '-m', mem, '-smp', '2',
           '-cpu', 'max' if accel == 'tcg' else 'host',
           '-kernel', kernel, '-initrd', initrd, '-nographic', '-no-reboot',
           '-nodefaults', '-serial', 'stdio',
           '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,'
           'readonly=on,multidevs=remap',
           '-virtfs', f'local,path={ROOT},mount_tag=netmemroot,'
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
    out = os.path.join(OUT, 'vm')
    kernel = os.path.join(out, 'arch/x86/boot/bzImage')
    initrd = build_initramfs()
    shutil.rmtree(results, ignore_errors=True)
    os.makedirs(results)
    accel = 'kvm' if kvm_usable(kernel, initrd) else 'tcg'
    cmd = qemu_cmd(kernel, initrd, accel, mode, results)
    console = os.path.join(results, 'console.log')
    log('+ ' + ' '.join(shlex.quote(c) for c in cmd) + f' > {console}')
    if DRY:
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
        f'{os.path.relpath(console, ROOT)}')
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
    if DRY:
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
    results = os.path.join(RESULTS, 'vm')
    counts, failed = no_counts(), []
    vm_boot_results('test', results, counts, failed)
    # A second boot with every DMA bounced, unless a subset was asked for.
    if not os.environ.get('VM_TESTS'):
        vm_boot_results('swiotlb', os.path.join(RESULTS, 'vm-swiotlb'),
                        counts, failed)
    if DRY:
        return True, {'passed': 0, 'failed': 0, 'skipped': 0}, []
    if sum(counts.values()) == 0:
        failed.append('<no tests>')
    counts['failed'] = max(counts['failed'], len(failed))
    log(f'vm-test: {counts["passed"]} passed, {counts["failed"]} failed, '
        f'{counts["skipped"]} skipped; results in {os.path.relpath(results, ROOT)}')
    return not failed, counts, failed


def cmd_vm_test():
    ok, counts, failed = run_vm_test()
    if failed:
        log('failed: ' + ', '.join(failed))
    return 0 if ok else 1


def cmd_demo():
    build_vm_kernel()
    results = os.path.join(RESULTS, 'demo')
    with step('demo (QEMU)'):
        rc, splats = boot_vm('demo', results)
    if DRY:
        return 0
    out = os.path.join(results, 'demo.txt')
    if os.path.exists(out):
        log(open(out).read())
    if splats:
        log('demo: guest kernel log has splats:\n  ' + '\n  '.join(splats[:20]))
    return 0 if rc == 0 and not splats else 1


# ---------------------------------------------------------------- static checks

def change_diff():
    stage_all()
    return run(['git', 'diff', '--cached', '--no-renames', '--no-color',
                BASE_TAG], cwd=TREE, capture=True, query=True, quiet=True).stdout


def added_lines(diff):
    """{path: set(line numbers added)} and the set of new files."""
    added, new, path, ln, from_null = {}, set(), None, 0, False
    for line in diff.splitlines():
        if line.startswith('--- '):
            from_null = line == '--- /dev/null'
            path = None
        elif line.startswith('+++ '):
            path = line[6:] if line.startswith('+++ b/') else None
            if path:
                added.setdefault(path, set())
                if from_null:
                    new.add(path)
        elif line.startswith('@@'):
            ln = int(re.search(r'\+(\d+)', line).group(1))
        elif path and line.startswith('+'):
            added[path].add(ln)
            ln += 1
        elif path and not line.startswith(('-', '\\')):
            ln += 1
    return added, new


def static_results():
    """build/results/static, made if missing."""
    res = os.path.join(RESULTS, 'static')
    os.makedirs(res, exist_ok=True)
    return res


def no_counts():
    return {'passed': 0, 'failed': 0, 'skipped': 0}


def run_checkpatch():
    ensure_packages(['perl'])
    need_tree()
    res = static_results()
    diff = change_diff()
    cmd = ['perl', 'scripts/checkpatch.pl', '--strict', '--no-signoff',
           '--show-types', '--color=never', '--ignore',
           'FILE_PATH_CHANGES,SPDX_LICENSE_TAG', '-']
    log('+ git diff base | ' + ' '.join(cmd))
    if DRY:
        return True, {'passed': 0, 'failed': 0, 'skipped': 0}
    p = subprocess.run(cmd, cwd=TREE, input=diff, capture_output=True, text=True)
    with open(os.path.join(res, 'checkpatch.txt'), 'w') as f:
        f.write(p.stdout + p.stderr)
    files = sorted(added_lines(diff)[0])
    allow = set()
    for line in open(os.path.join(CONFIG, 'checkpatch-allow')):
        if line.strip() and not line.startswith('#'):
            allow.add(tuple(line.split()[:2]))
    # Every finding with --show-types names its type and, next line, file.
    findings = re.findall(r'^(?:ERROR|WARNING|CHECK):(\w+): .*\n'
                          r'(?:#\d+: FILE: (\S+?):\d+:)?', p.stdout, re.M)
    issues, bad = [], set()
    for kind, path in findings:
        if (kind, path) in allow:
            log(f'checkpatch: allowed {kind} in {path} '
                '(config/checkpatch-allow)')
            continue
        issues.append(kind)
        bad.add(path or '<no file>')
    if issues:
        log(p.stdout[-6000:])
    counts = {'passed': len([f for f in files if f not in bad]),
              'failed': len(bad), 'skipped': 0}
    log(f'checkpatch --strict: {len(issues)} issues in {len(files)} files')
    return not issues, counts


def run_sparse():
    """sparse on every touched .c file the VM config builds; new warnings fail."""
    ensure_packages(PKGS_CHECK)
    need_tree()
    out = os.path.join(OUT, 'vm')
    res = static_results()
    diff = change_diff()
    added, new = added_lines(diff)
    objs = [p[:-2] + '.o' for p in added
            if p.endswith('.c') and not p.startswith('tools/') and
            os.path.exists(os.path.join(out, p[:-2] + '.o'))]
    skipped = [p for p in added if p.endswith('.c') and not p.startswith('tools/')
               and p[:-2] + '.o' not in objs]
    counts = no_counts()
    if not objs:
        log(f'sparse: no touched .c file is built in the VM config '
            f'({len(skipped)} not built)')
        return True, counts
    cmd = ['make', '-C', TREE, f'O={out}', 'ARCH=x86_64', *make_cc(), 'C=2',
           f'-j{JOBS}', *objs]
    log('+ ' + ' '.join(shlex.quote(c) for c in cmd))
    if DRY:
        return True, counts
    p = subprocess.run(cmd, env={**os.environ, **make_env()},
                       capture_output=True, text=True)
    text = p.stdout + p.stderr
    with open(os.path.join(res, 'sparse.txt'), 'w') as f:
        f.write(text)
    ours = []
    for m in re.finditer(r'^(\S+?):(\d+):\d+: (warning|error): .*$', text, re.M):
        path = os.path.relpath(os.path.join(TREE, m.group(1)), TREE) \
            if not m.group(1).startswith('/') else os.path.relpath(m.group(1), TREE)
        if path in new or int(m.group(2)) in added.get(path, ()):
            ours.append(m.group(0))
    bad = {o.split(':')[0] for o in ours}
    counts['failed'] = len(bad)
    counts['passed'] = len(objs) - len(bad)
    counts['skipped'] = 0
    if ours:
        log('sparse warnings on lines this change adds:\n  ' + '\n  '.join(ours))
    if p.returncode != 0:
        log(text[-3000:])
        counts['failed'] += 1
    log(f'sparse: {len(objs)} files checked, {len(ours)} new warnings')
    return not ours and p.returncode == 0, counts


def run_kernel_doc():
    """kernel-doc warnings on lines the change adds, and every identifier a
    new .rst pulls in with '.. kernel-doc::' must exist with a comment."""
    need_tree()
    res = static_results()
    counts = no_counts()
    if DRY:
        log('+ scripts/kernel-doc -none -v <touched files>')
        return True, counts
    added, new = added_lines(change_diff())
    report = []
    for path in sorted(added):
        if not path.endswith(('.c', '.h')) or path.startswith('tools/'):
            continue
        p = subprocess.run(['perl', 'scripts/kernel-doc', '-none', '-v', path],
                           cwd=TREE, capture_output=True, text=True)
        ours = [m.group(0) for m in re.finditer(
            r'^\S+?:(\d+): (?:warning|error): .*$', p.stderr, re.M)
            if path in new or int(m.group(1)) in added[path]]
        counts['failed' if ours else 'passed'] += 1
        report += ours
    for path in sorted(new):
        if not path.endswith('.rst'):
            continue
        text = open(os.path.join(TREE, path)).read()
        for m in re.finditer(r'^\.\. kernel-doc:: (\S+)\n((?:   :.*\n'
                             r'(?:\s{6,}.*\n)*)*)', text, re.M):
            src, opts = m.group(1), m.group(2)
            ids = re.search(r':identifiers:((?:.*\n)(?:\s{6,}.*\n)*)', opts)
            for ident in (ids.group(1).split() if ids else []):
                p = subprocess.run(['perl', 'scripts/kernel-doc', '-rst',
                                    '-function', ident, src], cwd=TREE,
                                   capture_output=True, text=True)
                ok = bool(p.stdout.strip()) and 'warning' not in p.stderr
                counts['passed' if ok else 'failed'] += 1
                if not ok:
                    report.append(f'{path}: {src}: no kernel-doc for {ident} '
                                  f'{p.stderr.strip()}')
    with open(os.path.join(res, 'kernel-doc.txt'), 'w') as f:
        f.write('\n'.join(report) + '\n')
    if report:
        log('kernel-doc:\n  ' + '\n  '.join(report))
    log(f'kernel-doc: {counts["passed"]} files/identifiers clean, '
        f'{len(report)} problems')
    return not report, counts


def sparse_command(out):
    """The sparse command kbuild runs for a file of the VM kernel."""
    probe = 'net/core/skbuff.o'
    p = run(['make', '-C', TREE, f'O={out}', 'ARCH=x86_64', *make_cc(), 'C=2',
             'V=1', probe], env=make_env(), capture=True, query=True,
            quiet=True)
    for line in p.stdout.splitlines():
        line = line.strip().rstrip(';')
        if not re.match(r'(\S*/)?sparse ', line):
            continue
        words = shlex.split(line)
        if words and os.path.basename(words[0]) == 'sparse':
            return words
    raise HarnessError('could not find the sparse command of ' + probe)


def run_sparse_expect():
    """Deliberate netmem_ref misuse in tests/sparse/ must draw exactly the
    warnings its 'expect:' comments name, and the proper uses none."""
    ensure_packages(PKGS_CHECK)
    out = os.path.join(OUT, 'vm')
    res = static_results()
    counts = no_counts()
    if DRY:
        log('+ sparse (kbuild flags) tests/sparse/*.c')
        return True, counts
    cmd = sparse_command(out)
    report = []
    for fn in sorted(os.listdir(os.path.join(ROOT, 'tests/sparse'))):
        src = os.path.join(ROOT, 'tests/sparse', fn)
        expect = {}
        for no, line in enumerate(open(src), 1):
            m = re.search(r'/\* expect: (.*?) \*/', line)
            if m:
                expect[no] = m.group(1)
        p = subprocess.run(cmd[:-1] + [src], cwd=out, capture_output=True,
                           text=True)
        got = {}
        for m in re.finditer(r'^(\S+?):(\d+):\d+: (?:warning|error): (.*)$',
                             p.stderr + p.stdout, re.M):
            if os.path.abspath(os.path.join(out, m.group(1))) == src:
                got.setdefault(int(m.group(2)), []).append(m.group(3))
        for no, want in sorted(expect.items()):
            ok = any(want in w for w in got.get(no, []))
            counts['passed' if ok else 'failed'] += 1
            report.append(f'{"ok" if ok else "MISSING"} {fn}:{no}: expect '
                          f'"{want}", got {got.get(no, [])}')
        for no in sorted(set(got) - set(expect)):
            counts['failed'] += 1
            report.append(f'UNEXPECTED {fn}:{no}: {got[no]}')
    with open(os.path.join(res, 'sparse-expect.txt'), 'w') as f:
        f.write('\n'.join(report) + '\n')
    bad = [r for r in report if not r.startswith('ok')]
    log(f'sparse misuse checks: {counts["passed"]} flagged as expected, '
        f'{counts["failed"]} wrong' + ('\n  ' + '\n  '.join(bad) if bad else ''))
    return not bad and counts['passed'] > 0, counts


# ---------------------------------------------------------------- sizes

BASE_TREE = os.path.join(BUILD, 'base-linux')
SIZE_TYPES = [('skb_frag_t', True), ('struct sk_buff', True),
              ('struct skb_shared_info', True), ('struct page', True),
              ('struct page_pool', False), ('struct net_iov', False)]


def base_worktree():
    """build/base-linux: the base commit checked out beside the tree."""
    if not os.path.isdir(BASE_TREE):
        git('worktree', 'prune', query=False)
        git('worktree', 'add', '--detach', BASE_TREE, BASE_TAG, query=False,
            quiet=False)
    else:
        run(['git', 'checkout', '-q', '--detach', BASE_TAG], cwd=BASE_TREE)
    return BASE_TREE


# Objects whose debug info holds every type SIZE_TYPES names: building
# these in both trees is minutes cheaper than a second vmlinux, and the
# layouts are the same ones vmlinux has for this .config.
SIZE_OBJECTS = ['net/core/skbuff.o', 'net/core/page_pool.o']


def build_size_objects(tree, out, config):
    """The SIZE_OBJECTS of @tree, with @config (an existing .config)."""
    os.makedirs(out, exist_ok=True)
    cfg = os.path.join(out, '.config')
    if not os.path.exists(cfg) or open(cfg).read() != open(config).read():
        shutil.copy(config, cfg)
    env = {**make_env(), 'CCACHE_BASEDIR': tree}
    base = ['make', '-C', tree, f'O={out}', 'ARCH=um', *make_cc(), f'-j{JOBS}']
    run([*base, 'olddefconfig'], env=env)
    run([*base, *SIZE_OBJECTS], env=env)
    return [os.path.join(out, o) for o in SIZE_OBJECTS]


def pahole_size(objs, name):
    """Size of a type per pahole in the first of @objs that has it."""
    ident = name.rpartition(' ')[2]
    for obj in objs:
        p = subprocess.run(['pahole', '-C', ident, obj], capture_output=True,
                           text=True)
        m = re.search(r'/\* size: (\d+)', p.stdout)
        if m:
            return int(m.group(1))
        # pahole prints a typedef without its size: follow it.
        m = re.search(r'typedef (?:struct|union) (\w+) \w+;', p.stdout)
        if m:
            return pahole_size(objs, m.group(1))
    return None


def run_sizes():
    rc = cmd_sizes()
    n = len(SIZE_TYPES)
    return rc == 0, {'passed': n if rc == 0 else 0,
                     'failed': 0 if rc == 0 else 1, 'skipped': 0}


def cmd_sizes():
    """pahole on base and patched objects built from the same UML .config."""
    ensure_packages(PKGS_BASE + ['dwarves'])
    need_tree()
    patched_cfg = os.path.join(OUT, 'uml', '.config')
    if not os.path.exists(patched_cfg) and not DRY:
        run_kunit()
    saved = os.path.join(OUT, 'uml-patched.config')
    if not DRY:
        shutil.copy(patched_cfg, saved)
    with step('sizes: patched objects'):
        patched = build_size_objects(TREE, os.path.join(OUT, 'uml'),
                                     saved) if not DRY else []
    with step('sizes: base objects, same .config'):
        base_worktree()
        base = build_size_objects(BASE_TREE, os.path.join(OUT, 'uml-base'),
                                  saved) if not DRY else []
    if DRY:
        return 0
    rows, grew = [], []
    for name, gated in SIZE_TYPES:
        b, p = pahole_size(base, name), pahole_size(patched, name)
        delta = '' if b is None or p is None else f'{p - b:+d}'
        rows.append((name, b, p, delta))
        if gated and (b is None or p is None or p > b):
            grew.append(name)
    lines = [f'{"type":<26} {"base":>6} {"patched":>8} {"delta":>6}']
    for name, b, p, d in rows:
        lines.append(f'{name:<26} {b if b is not None else "n/a":>6} '
                     f'{p if p is not None else "n/a":>8} {d:>6}')
    table = '\n'.join(lines)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, 'sizes.txt'), 'w') as f:
        f.write(table + '\n')
    log('\n' + table)
    if grew:
        log('sizes: grew or missing: ' + ', '.join(grew))
        return 1
    return 0


# ---------------------------------------------------------------- self-tests

SELFTEST_KUNIT = 'lib/kunit/netmem_harness_fail_test.c'


def selftest_kunit_fails():
    """A KUnit case that fails must make the kunit step fail."""
    src = os.path.join(ROOT, 'tests/harness/kunit_fail_test.c')
    dst = os.path.join(TREE, SELFTEST_KUNIT)
    mk = os.path.join(TREE, 'lib/kunit/Makefile')
    mk_old = open(mk).read()
    try:
        shutil.copy(src, dst)
        with open(mk, 'a') as f:
            f.write('obj-$(CONFIG_KUNIT) += netmem_harness_fail_test.o\n')
        ok, counts, failed = run_kunit(
            results=os.path.join(RESULTS, 'selftest-kunit'))
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
    rc, splats = boot_vm('selftest-warn', os.path.join(RESULTS, 'selftest-vm'),
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
    if DRY:
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
    with open(os.path.join(RESULTS, 'selftest.tap'), 'w') as f:
        f.write(f'TAP version 13\n1..{len(results)}\n')
        for i, (name, ok) in enumerate(results.items(), 1):
            f.write(f'{"ok" if ok else "not ok"} {i} {name}\n')
    n_ok = sum(results.values())
    return n_ok == len(results), {'passed': n_ok,
                                  'failed': len(results) - n_ok, 'skipped': 0}


def cmd_selftest():
    ok, _ = run_selftests()
    return 0 if ok else 1


# ---------------------------------------------------------------- bench

BENCH_SRC = 'lib/test_page_pool_bench.c'
BENCH_SYMBOL = 'TEST_PAGE_POOL_BENCH'
BENCH_BASE_TREE = os.path.join(BUILD, 'bench-base-linux')
BENCH_RESULTS = os.path.join(RESULTS, 'bench')
BENCH_LINE_RE = re.compile(r'page_pool_bench: path=(\w+)((?: \w+=\S+)*)')


def bench_patch_hunks(path):
    """Header and hunks of a linux/ .patch that add the bench (they name
    BENCH_SYMBOL or the bench's object), or None if no hunk does."""
    stem = os.path.splitext(os.path.basename(BENCH_SRC))[0]
    text = open(path).read()
    head, _, rest = text.partition('\n@@')
    hunks = ['@@' + h for h in rest.split('\n@@')] if rest else []
    keep = []
    for h in hunks:
        added = [l for l in h.splitlines()[1:] if l.startswith('+')]
        if not any(BENCH_SYMBOL in l or stem in l for l in added):
            continue
        if any(l.startswith('-') for l in h.splitlines()[1:]):
            raise HarnessError(f'{path}: a bench hunk also changes base '
                               'lines; keep the bench hunks apart')
        keep.append(h.rstrip('\n') + '\n')
    return head + '\n' + ''.join(keep) if keep else None


def bench_base_tree():
    """build/bench-base-linux: tag base plus the bench and nothing else.

    The commit is built in a scratch index and checked out with reset
    --hard, which rewrites only files that differ, so rebuilds stay
    incremental.
    """
    src = os.path.join(CHANGE, BENCH_SRC)
    if not os.path.exists(src) and not DRY:
        raise HarnessError(f'linux/{BENCH_SRC} is missing')
    patch = os.path.join(OUT, 'bench-base.patch')
    parts = []
    for rel, ap in change_files():
        if rel.endswith('.patch'):
            part = bench_patch_hunks(ap)
            if part:
                parts.append(part)
    if len(parts) < 2 and not DRY:
        raise HarnessError(f'no Kconfig and Makefile hunks for {BENCH_SYMBOL} '
                           'found in linux/')
    if not DRY:
        os.makedirs(OUT, exist_ok=True)
        with open(patch, 'w') as f:
            f.write(''.join(parts))
    log(f'bench base: tag {BASE_TAG} + {BENCH_SRC} + hunks of '
        f'{len(parts)} patches ({os.path.relpath(patch, ROOT)})')
    if not os.path.isdir(BENCH_BASE_TREE):
        git('worktree', 'prune', query=False)
        git('worktree', 'add', '--detach', BENCH_BASE_TREE, BASE_TAG,
            query=False, quiet=False)
    if DRY:
        return BENCH_BASE_TREE
    idx = os.path.join(TREE, '.git', 'netmem-bench.index')
    env = {'GIT_INDEX_FILE': idx}
    if os.path.exists(idx):
        os.unlink(idx)
    git('read-tree', BASE_TAG, env=env)
    blob = git('hash-object', '-w', src).stdout.strip()
    git('update-index', '--add', '--cacheinfo', f'100644,{blob},{BENCH_SRC}',
        env=env)
    p = git('apply', '--cached', patch, env=env, check=False)
    if p.returncode != 0:
        raise HarnessError(f'bench hunks do not apply to base:\n{p.stderr}')
    tree = git('write-tree', env=env).stdout.strip()
    os.unlink(idx)
    have = run(['git', 'rev-parse', 'HEAD^{tree}'], cwd=BENCH_BASE_TREE,
               capture=True, query=True, quiet=True).stdout.strip()
    if tree != have:
        commit = git('commit-tree', tree, '-p', BASE_TAG, '-m',
                     'base + page_pool bench only').stdout.strip()
        run(['git', 'reset', '-q', '--hard', commit], cwd=BENCH_BASE_TREE)
    return BENCH_BASE_TREE


def bench_config(tree, out):
    """out/.config from config/bench.config; every option must stick."""
    frag = os.path.join(CONFIG, 'bench.config')
    os.makedirs(out, exist_ok=True)
    cfg = os.path.join(out, '.config')
    stamp = os.path.join(out, '.netmem-config-stamp')
    digest = hashlib.sha256(open(frag, 'rb').read()).hexdigest()
    if not (os.path.exists(cfg) and os.path.exists(stamp) and
            open(stamp).read() == digest):
        if not DRY:
            shutil.copy(frag, cfg)
        run(['make', '-C', tree, f'O={out}', 'ARCH=um', *make_cc(),
             'olddefconfig'], env={**make_env(), 'CCACHE_BASEDIR': tree})
        if DRY:
            return {}
        with open(stamp, 'w') as f:
            f.write(digest)
    have = bench_read_config(out)
    bad = [f'{k}={v} (got {have.get(k, "n")})'
           for k, v in fragment_lines([frag]).items() if have.get(k, 'n') != v]
    if bad:
        os.unlink(stamp)
        raise HarnessError(f'{out}: bench.config options did not stick:\n  ' +
                           '\n  '.join(bad))
    return have


def bench_read_config(out):
    """The options out/.config sets, as {name: value}."""
    have = {}
    for line in open(os.path.join(out, '.config')):
        m = re.match(r'(CONFIG_\w+)=(.*)', line.strip())
        if m:
            have[m.group(1)] = m.group(2)
    return have


def bench_build(tree, out):
    env = {**make_env(), 'CCACHE_BASEDIR': tree}
    run(['make', '-C', tree, f'O={out}', 'ARCH=um', *make_cc(), f'-j{JOBS}'],
        env=env)
    return os.path.join(out, 'linux')


def bench_params():
    """Kernel command line for the bench: BENCH_ITERS, BENCH_SLOW_ITERS and
    BENCH_REPEATS override the module's defaults."""
    args = []
    for var, param in (('BENCH_ITERS', 'iters'),
                       ('BENCH_SLOW_ITERS', 'slow_iters'),
                       ('BENCH_REPEATS', 'repeats')):
        if os.environ.get(var):
            args.append(f'test_page_pool_bench.{param}={int(os.environ[var])}')
    return args


def bench_nice():
    """Niceness of the bench boots (BENCH_NICE, default -10 as root): on a
    shared machine the host preempting UML mid-loop counts as time of the
    loop; the boots take one core for about a minute in all."""
    default = '-10' if os.geteuid() == 0 else '0'
    return int(os.environ.get('BENCH_NICE', default))


def bench_boot(kernel, logfile):
    """Boot a bench kernel once; returns {path: {key: value}}."""
    cmd = [kernel, 'mem=512M', 'console=tty', 'kunit_shutdown=halt',
           *bench_params()]
    if bench_nice():
        cmd = ['nice', '-n', str(bench_nice()), *cmd]
    log(f'+ {" ".join(shlex.quote(c) for c in cmd)} > '
        f'{os.path.relpath(logfile, ROOT)}')
    if DRY:
        return {}
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, errors='replace', timeout=1800)
    except subprocess.TimeoutExpired:
        raise HarnessError(f'{kernel} did not halt within 30 min')
    with open(logfile, 'w') as f:
        f.write(p.stdout + p.stderr)
    rows = {}
    for m in BENCH_LINE_RE.finditer(p.stdout):
        rows[m.group(1)] = dict(kv.split('=', 1) for kv in m.group(2).split())
    splats = scan_splats(logfile)
    if splats or not rows or not re.search(r'^ok \d+ page_pool_bench$',
                                           p.stdout, re.M):
        raise HarnessError(f'bench run failed (rc {p.returncode}, '
                           f'{len(rows)} paths, splats: {splats[:5]}); see '
                           f'{os.path.relpath(logfile, ROOT)}')
    log(f'    {len(rows)} paths in {time.monotonic() - t0:.1f}s')
    return rows


def bench_stats(vals):
    """Median, quartiles and range of a list of numbers."""
    v = sorted(vals)

    def q(f):
        i = f * (len(v) - 1)
        lo = int(i)
        hi = min(lo + 1, len(v) - 1)
        return v[lo] + (v[hi] - v[lo]) * (i - lo)
    return {'median': q(0.5), 'q1': q(0.25), 'q3': q(0.75), 'min': v[0],
            'max': v[-1], 'n': len(v)}


def bench_receive_hook():
    """Receive benchmark in the VM over a provider-backed RX queue: to be
    added once a memory provider exists (netdevsim datapath, devmem or
    zcrx), reporting the same base/patched table for the page path."""
    log('bench: receive benchmark in the VM: not yet (no memory provider)')
    return None


def cmd_bench():
    """page_pool micro-benchmark: base 6.1 + bench vs the patched kernel,
    both UML with config/bench.config, booted alternately (ABAB)."""
    ensure_packages(PKGS_BASE)
    need_tree()
    kernels = {'base': os.path.join(OUT, 'bench-base'),
               'patched': os.path.join(OUT, 'bench-patched')}
    with step('bench: base tree (base + bench only)'):
        base_tree = bench_base_tree()
    trees = {'base': base_tree, 'patched': TREE}
    configs = {}
    for name, out in kernels.items():
        with step(f'bench: {name} kernel (UML, config/bench.config)'):
            bench_config(trees[name], out)
            kernels[name] = bench_build(trees[name], out)
            # Read after the build: kbuild may have updated the .config.
            configs[name] = {} if DRY else bench_read_config(out)
    if configs['base'] != configs['patched']:
        keys = sorted(set(configs['base']) ^ set(configs['patched']) |
                      {k for k in configs['base'] if
                       configs['base'][k] != configs['patched'].get(k)})
        raise HarnessError('base and patched bench .config differ: ' +
                           ', '.join(keys[:20]))
    rounds = int(os.environ.get('BENCH_ROUNDS', '8'))
    os.makedirs(BENCH_RESULTS, exist_ok=True)
    runs = {'base': [], 'patched': []}
    load = [os.getloadavg()[0]]
    # ABBA: each round boots both kernels, and which goes first alternates,
    # so neither a drift of the machine's load nor going first favours one.
    with step(f'bench: {rounds} rounds, base and patched alternately (ABBA)'):
        for r in range(rounds):
            for name in ('base', 'patched')[::1 if r % 2 == 0 else -1]:
                logfile = os.path.join(BENCH_RESULTS, f'{name}-{r + 1}.log')
                runs[name].append(bench_boot(kernels[name], logfile))
                load.append(os.getloadavg()[0])
    bench_receive_hook()
    if DRY:
        return 0
    return bench_report(runs, rounds, load)


def bench_report(runs, rounds, load):
    paths = list(runs['patched'][0])
    result = {'rounds': rounds, 'params': bench_params(), 'nice': bench_nice(),
              'loadavg_1min': load, 'unit': 'ns per alloc+return',
              'paths': {}}
    lines = [f'{"path":<6} {"base ns/op":>10} {"patched":>8} {"ratio":>6} '
             f'{"round ratios q1/med/q3":>22} {"min ratio":>9} '
             f'{"base spread":>12} '
             f'{"patched spread":>14} {"cycles b/p":>13} {"pages/op":>8}  '
             '<=1.00?']

    def samples(name, path, key):
        out = []
        for rows in runs[name]:
            v = rows.get(path, {}).get(key)
            if v:
                out += [int(x) / 1000 for x in v.split(',')]
        return out

    def spread(st):
        return (f'{100 * (st["min"] / st["median"] - 1):+.1f}/'
                f'{100 * (st["max"] / st["median"] - 1):+.1f}%')

    for path in paths:
        res = {}
        for name in ('base', 'patched'):
            ns = samples(name, path, 'ns_milli')
            cyc = samples(name, path, 'cycles_milli')
            res[name] = {'ns': bench_stats(ns), 'ns_samples': ns,
                         'cycles': bench_stats(cyc) if cyc else None,
                         'pages_per_op': runs[name][0][path].get('pages')}
        # Each round pairs two neighbouring boots: drift of the machine's
        # load between rounds cancels in their ratio.
        per_round = [float(runs['patched'][r][path]['ns_median']) /
                     float(runs['base'][r][path]['ns_median'])
                     for r in range(rounds)]
        rr = bench_stats(per_round)
        ratio = res['patched']['ns']['median'] / res['base']['ns']['median']
        min_ratio = res['patched']['ns']['min'] / res['base']['ns']['min']
        if ratio <= 1.0:
            verdict = 'yes'
        elif rr['q1'] <= 1.0:
            verdict = 'within spread'
        else:
            verdict = 'NO'
        res.update({'ratio': ratio, 'round_ratios': per_round,
                    'round_ratio_stats': rr,
                    'min_ratio': min_ratio,
                    'ratio_le_1': verdict})
        result['paths'][path] = res
        cyc = '/'.join(f'{res[n]["cycles"]["median"]:.1f}'
                       if res[n]['cycles'] else 'n/a'
                       for n in ('base', 'patched'))
        lines.append(
            f'{path:<6} {res["base"]["ns"]["median"]:>10.2f} '
            f'{res["patched"]["ns"]["median"]:>8.2f} {ratio:>6.3f} '
            f'{rr["q1"]:>10.3f}/{rr["median"]:.3f}/{rr["q3"]:.3f} '
            f'{min_ratio:>9.3f} '
            f'{spread(res["base"]["ns"]):>12} '
            f'{spread(res["patched"]["ns"]):>14} {cyc:>13} '
            f'{res["patched"]["pages_per_op"]:>8}  {verdict}')
    table = '\n'.join(lines)
    legend = (f'{rounds} rounds x {runs["base"][0][paths[0]]["repeats"]} '
              'repeats per kernel, booted alternately (ABBA); medians '
              'of all repeats; round ratios = quartiles of the ratios of '
              'each base/patched pair of boots (<=1.00 "within spread" when '
              'q1 <= 1.00); '
              'min ratio = fastest repeat vs fastest repeat; spread = min/max '
              'vs median; cycles = TSC '
              f'(reference) cycles; 1-min load {min(load):.2f}-'
              f'{max(load):.2f}')
    if max(load) > (os.cpu_count() or 1):
        legend += ('\nWARNING: the machine was busy (load above its '
                   f'{os.cpu_count()} CPUs): other work shares caches and '
                   'cores with UML, so the spread is wide; rerun when idle')
    with open(os.path.join(RESULTS, 'bench.json'), 'w') as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(RESULTS, 'bench.txt'), 'w') as f:
        f.write(table + '\n' + legend + '\n')
    log('\n' + table + '\n' + legend)
    log(f'bench: results in {os.path.relpath(RESULTS, ROOT)}/bench.json')
    return 0


# ---------------------------------------------------------------- uapi numbers

# SO_DEVMEM_LINEAR, _DMABUF, _DONTNEED as UAPI.md has them: the generic
# header and each arch that numbers its socket options its own way.
SO_DEVMEM_NUMBERS = {
    'include/uapi/asm-generic/socket.h': (78, 79, 80),
    'arch/alpha/include/uapi/asm/socket.h': (78, 79, 80),
    'arch/mips/include/uapi/asm/socket.h': (78, 79, 80),
    'arch/parisc/include/uapi/asm/socket.h': (0x404E, 0x404F, 0x4050),
    'arch/sparc/include/uapi/asm/socket.h': (0x57, 0x58, 0x59),
}


def run_uapi_numbers():
    """The devmem socket options in every socket.h: UAPI.md's numbers, and
    no other option of that header with the same number."""
    need_tree()
    names = ('SO_DEVMEM_LINEAR', 'SO_DEVMEM_DMABUF', 'SO_DEVMEM_DONTNEED')
    passed = failed = 0
    for rel, want in SO_DEVMEM_NUMBERS.items():
        with open(os.path.join(TREE, rel)) as f:
            text = f.read()
        by_value = {}
        for m in re.finditer(r'^#define\s+(SO_\w+)\s+(0x[0-9a-fA-F]+|\d+)\b',
                             text, re.M):
            by_value.setdefault(int(m.group(2), 0), []).append(m.group(1))
        got = tuple(next((v for v, n in by_value.items() if name in n), None)
                    for name in names)
        dups = {v: n for v, n in by_value.items() if len(n) > 1}
        if got == want and not dups:
            passed += 1
            continue
        failed += 1
        log(f'uapi-numbers: {rel}: {dict(zip(names, got))}, want '
            f'{dict(zip(names, want))}; same number twice: {dups}')
    log(f'uapi-numbers: {passed} of {len(SO_DEVMEM_NUMBERS)} socket.h right')
    return not failed, {'passed': passed, 'failed': failed, 'skipped': 0}


# ---------------------------------------------------------------- check

def cmd_check():
    need_tree()
    os.environ.pop('VM_TESTS', None)  # check runs every test
    os.makedirs(RESULTS, exist_ok=True)
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
    with open(os.path.join(RESULTS, 'check.txt'), 'w') as f:
        f.write(table + '\n')
    log('\n' + table)
    all_ok = all(r[3] for r in rows)
    # One plain closing line for CI's reader.
    log(f'check: {tot["passed"]} passed, {tot["failed"]} failed, '
        f'{tot["skipped"]} skipped')
    return 0 if all_ok else 1


# ---------------------------------------------------------------- coccinelle

PKGS_COCCI = ['coccinelle']
COCCI_RULES = 'scripts/coccinelle/api/netmem'
COCCI_PATCH = f'{COCCI_RULES}/page_pool_netmem.cocci'
COCCI_HUMAN = f'{COCCI_RULES}/page_pool_netmem_human.cocci'
COCCI_TESTS = os.path.join(ROOT, 'tests', 'cocci')
COCCI_REPORT = os.path.join(COCCI_TESTS, 'report.expected')
COCCI_CONFIG = os.path.join(CONFIG, 'cocci-drivers.config')
# The audit of CPU reads of frag payload: where it looks, what starts a
# site (files without any of these are not parsed), the verdicts a site
# of tests/cocci/unreadable.list may have.
UNREADABLE_RULE = f'{COCCI_RULES}/unreadable.cocci'
UNREADABLE_LIST = os.path.join(COCCI_TESTS, 'unreadable.list')
UNREADABLE_DIRS = ['net', 'io_uring', 'drivers/net']
UNREADABLE_CALLS = ('skb_frag_page|skb_frag_netmem|skb_frag_foreach_page|'
                    'skb_frag_address|skb_frag_address_safe|skb_seq_read|'
                    'skb_prepare_seq_read|skb_find_text|skb_copy_bits|'
                    'skb_store_bits|skb_header_pointer|skb_copy_and_csum_bits|'
                    'skb_checksum|__skb_checksum')
UNREADABLE_VERDICTS = ('guarded', 'unreachable', 'fixed', 'open')
# The page_pool users of 6.1's drivers/net, by path prefix.
COCCI_DRIVERS = [
    ('bnxt', 'drivers/net/ethernet/broadcom/bnxt/'),
    ('tsnep', 'drivers/net/ethernet/engleder/'),
    ('fec', 'drivers/net/ethernet/freescale/fec'),
    ('hns3', 'drivers/net/ethernet/hisilicon/hns3/'),
    ('mvneta', 'drivers/net/ethernet/marvell/mvneta'),
    ('mvpp2', 'drivers/net/ethernet/marvell/mvpp2/'),
    ('octeontx2', 'drivers/net/ethernet/marvell/octeontx2/nic/'),
    ('mtk_eth_soc', 'drivers/net/ethernet/mediatek/'),
    ('mlx5', 'drivers/net/ethernet/mellanox/mlx5/core/'),
    ('mana', 'drivers/net/ethernet/microsoft/mana/'),
    ('netsec', 'drivers/net/ethernet/socionext/netsec'),
    ('stmmac', 'drivers/net/ethernet/stmicro/stmmac/'),
    ('cpsw', 'drivers/net/ethernet/ti/cpsw'),
    ('xen-netfront', 'drivers/net/xen-netfront'),
]
# A call of the netmem API on a line the conversion adds.
COCCI_CALL_RE = re.compile(r'\b(page_pool_\w*netmem\w*|skb_add_rx_frag_netmem)\(')


def cocci_driver(path):
    for name, prefix in COCCI_DRIVERS:
        if path.startswith(prefix):
            return name
    return None


# The page calls the conversion rewrites: a local it converts meets one of
# them in its own function, so other files cannot change.
COCCI_CALLS = (r'page_pool_(dev_)?alloc_(pages|frag)|page_pool_(put_page|'
               r'put_full_page|recycle_direct|get_dma_addr|dma_sync_for_cpu)\b')


def cocci_files(tree, headers=False, calls=False):
    """Files of drivers/net in @tree that name page_pool (git grep), or
    with calls=True only those that call the page API the patch rewrites."""
    specs = ['drivers/net/*.c'] + (['drivers/net/*.h'] if headers else [])
    p = run(['git', 'grep', '-l', '-E', COCCI_CALLS if calls else 'page_pool',
             '--', *specs], cwd=tree, capture=True, check=False, query=True,
            quiet=True)
    return sorted(p.stdout.split())


def spatch(rule, args, cwd, jobs=JOBS):
    # -j puts a directory of worker output in the current one unless told
    # otherwise: not in build/linux, where "make save" would take it.
    tmp = os.path.join(OUT, 'cocci', 'spatch')
    os.makedirs(os.path.dirname(tmp), exist_ok=True)
    cmd = ['spatch', '--sp-file', rule, '--very-quiet', '--no-includes',
           '-j', str(jobs), '--tmp-dir', tmp, *args]
    return run(cmd, cwd=cwd, capture=True, check=False, query=True,
               shown='spatch --sp-file ' + os.path.relpath(rule, ROOT) + ' ' +
               ' '.join(a for a in args if a.startswith('-')) +
               f' <{len([a for a in args if not a.startswith("-")])} files>')


def cocci_rule_tests(res):
    """tests/cocci/<rule>/<case>.c against <case>.res: the patch rule in
    spatch's compare mode (plus a byte-exact check and a second run that
    must change nothing), the report rule's lines as they are (against
    <case>.report for a rule that only reports)."""
    counts, report = no_counts(), []
    tmp = os.path.join(OUT, 'cocci', 'cases')
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for rule in sorted(os.listdir(COCCI_TESTS)):
        rdir = os.path.join(COCCI_TESTS, rule)
        if not os.path.isdir(rdir):
            continue
        sp = os.path.join(TREE, COCCI_RULES, rule + '.cocci')
        for fn in sorted(f for f in os.listdir(rdir) if f.endswith('.c')):
            case = os.path.join(rdir, fn)
            # A report-only rule's case may say so with a .report file.
            report_only = os.path.exists(case[:-2] + '.report')
            ext = '.report' if report_only else '.res'
            want = open(case[:-2] + ext).read()
            name = f'{rule}/{fn[:-2]}'
            if rule.endswith('_human') or report_only:
                p = run(['spatch', '--sp-file', sp, '-D', 'report',
                         '--very-quiet', fn], cwd=rdir, capture=True,
                        check=False, query=True, quiet=True)
                got = ''.join(sorted(p.stdout.splitlines(True)))
                ok = p.returncode == 0 and got == want
                why = '' if ok else f'report differs:\n{got}'
            else:
                out = os.path.join(tmp, fn)
                p = run(['spatch', '--sp-file', sp, '-D', 'patch',
                         '--compare-with-expected', fn, '-o', out], cwd=rdir,
                        capture=True, check=False, query=True, quiet=True)
                got = open(out).read() if os.path.exists(out) else \
                    open(case).read()
                again = run(['spatch', '--sp-file', sp, '-D', 'patch',
                             '--very-quiet', case[:-2] + '.res'], cwd=rdir,
                            capture=True, check=False, query=True, quiet=True)
                # A file without the rule's tokens is skipped, not compared.
                said = p.stdout + p.stderr
                compared = 'seems correct' in said or \
                    (f'Skipping: {fn}' in said and want == open(case).read())
                ok = compared and got == want and not again.stdout.strip()
                why = '' if ok else (
                    'second run changes the result' if got == want else
                    f'result differs from .res:\n{got}')
            counts['passed' if ok else 'failed'] += 1
            report.append((ok, name))
            if not ok:
                log(f'cocci case {name}: {why}')
    with open(os.path.join(res, 'cases.tap'), 'w') as f:
        f.write(f'TAP version 13\n1..{len(report)}\n')
        for i, (ok, name) in enumerate(report, 1):
            f.write(f'{"ok" if ok else "not ok"} {i} {name}\n')
    log(f'cocci cases: {counts["passed"]} passed, {counts["failed"]} failed')
    return counts


def unreadable_audit(res):
    """Run unreadable.cocci over UNREADABLE_DIRS of the tree into
    @res/unreadable.txt and hold its sites against tests/cocci/
    unreadable.list. Returns (ok, what is wrong)."""
    # Files not yet committed count too (git grep --untracked finds none).
    calls = re.compile(rf'\b({UNREADABLE_CALLS})\b')
    files = [f for f in git('ls-files', '-co', '--exclude-standard', '--',
                            *UNREADABLE_DIRS).stdout.split()
             if f.endswith(('.c', '.h')) and
             os.path.exists(os.path.join(TREE, f)) and
             calls.search(open(os.path.join(TREE, f), errors='replace').read())]
    t0 = time.monotonic()
    p = spatch(os.path.join(TREE, UNREADABLE_RULE),
               ['-D', 'report', '--include-headers', *files], cwd=TREE)
    dt = time.monotonic() - t0
    got = sorted(set(l for l in p.stdout.splitlines()
                     if ': unreadable: ' in l))
    with open(os.path.join(res, 'unreadable.txt'), 'w') as f:
        f.write('\n'.join(got) + '\n')
    sites = set()
    for line in got:
        where, what = line.split(': unreadable: ', 1)
        kind, func = what.split(': ', 1)
        sites.add((where.split(':')[0], func, kind))
    listed, bad = {}, []
    for n, line in enumerate(open(UNREADABLE_LIST), 1):
        if not line.strip() or line.startswith('#'):
            continue
        m = re.match(r'(\S+) (\S+) (\S+) (\S+) -- \S', line)
        if not m or m[4] not in UNREADABLE_VERDICTS or \
                m.group(1, 2, 3) in listed:
            bad.append(f'line {n}')
        else:
            listed[m.group(1, 2, 3)] = m[4]
    new = sorted(sites - set(listed))
    stale = sorted(set(listed) - sites)
    opened = sorted(k for k, v in listed.items() if v == 'open')
    per = {v: 0 for v in UNREADABLE_VERDICTS + ('unclassified',)}
    kinds = {}
    for key in sites:
        per[listed.get(key, 'unclassified')] += 1
        kinds[key[2]] = kinds.get(key[2], 0) + 1
    log(f'unreadable audit: {len(sites)} sites in {len(files)} files, '
        f'{dt:.1f}s wall (spatch -j {JOBS}); ' +
        ', '.join(f'{k} {v}' for k, v in per.items()) + '; ' +
        ', '.join(f'{k} {v}' for k, v in sorted(kinds.items())))
    detail = ''.join(f'\n  not classified: {" ".join(k)}' for k in new) + \
        ''.join(f'\n  stale (no such site): {" ".join(k)}' for k in stale) + \
        ''.join(f'\n  open: {" ".join(k)}' for k in opened) + \
        ''.join(f'\n  unreadable.list {b}: not FILE FUNCTION KIND VERDICT '
                f'-- REASON, or listed twice' for b in bad)
    if p.returncode != 0:
        detail += f'\n  spatch failed: {p.stderr[-2000:]}'
    detail += audit_doc_check()
    return not detail, detail


# The sites the change fixed, as netmem.rst lists them between these
# markers: generated from tests/cocci/unreadable.list (make audit-doc).
AUDIT_DOC = 'Documentation/networking/netmem.rst'
AUDIT_DOC_BEGIN = '.. unreadable-fixed-begin\n'
AUDIT_DOC_END = '.. unreadable-fixed-end\n'


def audit_doc_render():
    terms, block = [], []
    for line in open(UNREADABLE_LIST):
        m = re.match(r'(\S+) (\S+) (\S+) fixed -- (.*)', line)
        if m:
            terms.append(m)
    for m in terms:
        block.append(f'``{m[1]}``: ``{m[2]}()`` ({m[3]})\n')
        text = '   '
        for w in m[4].split():
            if len(text) + len(w) + 1 > 76:
                block.append(text + '\n')
                text = '   '
            text += ' ' + w
        block.append(text + '\n\n')
    return AUDIT_DOC_BEGIN + '\n' + ''.join(block) + AUDIT_DOC_END


def audit_doc_check():
    """'' if netmem.rst lists exactly the fixed sites, else what differs."""
    text = open(os.path.join(TREE, AUDIT_DOC)).read()
    i, j = text.find(AUDIT_DOC_BEGIN), text.find(AUDIT_DOC_END)
    if i < 0 or j < i:
        return f'\n  {AUDIT_DOC}: no {AUDIT_DOC_BEGIN.strip()} block'
    if text[i:j + len(AUDIT_DOC_END)] != audit_doc_render():
        return (f'\n  {AUDIT_DOC}: its list of fixed sites is not the one '
                'tests/cocci/unreadable.list gives: make audit-doc')
    return ''


def cmd_audit_doc():
    """Rewrite the fixed sites of netmem.rst from unreadable.list."""
    need_tree()
    path = os.path.join(TREE, AUDIT_DOC)
    text = open(path).read()
    i, j = text.find(AUDIT_DOC_BEGIN), text.find(AUDIT_DOC_END)
    if i < 0 or j < i:
        raise HarnessError(f'{AUDIT_DOC}: no {AUDIT_DOC_BEGIN.strip()} block')
    with open(path, 'w') as f:
        f.write(text[:i] + audit_doc_render() + text[j + len(AUDIT_DOC_END):])
    log(f'audit-doc: {AUDIT_DOC} rewritten; make save to keep it')
    return 0


def cocci_convert(dst):
    """Run the conversion over drivers/net of the base into @dst (a copy
    of the files that name page_pool). Returns (files, changed, seconds)."""
    base = base_worktree()
    shutil.rmtree(dst, ignore_errors=True)
    t0 = time.monotonic()
    files = cocci_files(base, calls=True)
    for rel in files:
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copy(os.path.join(base, rel), os.path.join(dst, rel))
    p = spatch(os.path.join(TREE, COCCI_PATCH),
               ['-D', 'patch', '--in-place', *files], cwd=dst)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        log(p.stdout[-3000:] + p.stderr[-3000:])
        raise HarnessError('spatch failed on drivers/net')
    changed = [rel for rel in files if open(os.path.join(dst, rel), 'rb').read()
               != open(os.path.join(base, rel), 'rb').read()]
    log(f'conversion: {len(files)} files of drivers/net call the page_pool '
        f'page API, {len(changed)} changed, {dt:.1f}s wall (git grep + spatch '
        f'-j {JOBS})')
    return files, changed, dt


def cmd_cocci_apply():
    """Write the conversion of drivers/net into build/linux."""
    ensure_packages(PKGS_COCCI)
    need_tree()
    dst = os.path.join(OUT, 'cocci', 'run')
    files, changed, _ = cocci_convert(dst)
    for rel in files:
        new = open(os.path.join(dst, rel), 'rb').read()
        path = os.path.join(TREE, rel)
        if open(path, 'rb').read() != new:
            with open(path, 'wb') as f:
                f.write(new)
            log(f'  converted {rel}')
    log('now "make save" and commit')
    return 0


def cocci_config(tree, out):
    """x86_64 tinyconfig + config/cocci-drivers.config in @out; every
    option must stick."""
    os.makedirs(out, exist_ok=True)
    stamp = os.path.join(out, '.netmem-config-stamp')
    digest = hashlib.sha256(open(COCCI_CONFIG, 'rb').read()).hexdigest()
    cfg = os.path.join(out, '.config')
    if os.path.exists(stamp) and open(stamp).read() == digest and \
            os.path.exists(cfg):
        return
    env = {**make_env(), 'CCACHE_BASEDIR': tree}
    base = ['make', '-C', tree, f'O={out}', 'ARCH=x86_64', *make_cc()]
    run([*base, 'tinyconfig'], env=env)
    with open(cfg, 'a') as f:
        f.write(open(COCCI_CONFIG).read())
    run([*base, 'olddefconfig'], env=env)
    have = set(l.strip() for l in open(cfg))
    bad = [f'{k}={v}' for k, v in fragment_lines([COCCI_CONFIG]).items()
           if f'{k}={v}' not in have]
    if bad:
        raise HarnessError('cocci-drivers.config options did not stick '
                           '(missing dependency?):\n  ' + '\n  '.join(bad))
    with open(stamp, 'w') as f:
        f.write(digest)


def cocci_objects(changed):
    """Objects to compile: each driver's .c files that use page_pool or
    skb_add_rx_frag, and every file the conversion changed."""
    p = run(['git', 'grep', '-l', '-E', r'page_pool|skb_add_rx_frag', '--',
             *[prefix + '*.c' for _, prefix in COCCI_DRIVERS]], cwd=TREE,
            capture=True, check=False, query=True, quiet=True)
    srcs = set(p.stdout.split()) | {c for c in changed if c.endswith('.c')}
    return sorted(s[:-2] + '.o' for s in srcs if cocci_driver(s))


def cocci_build(tree, out, objs, log_path, cache=False):
    """W=1 C=1 build of @objs in @tree; returns {(file, message)}.

    cache=True keeps the warnings beside the objects, keyed by the config
    and the object list: the base tree never changes, so its build runs
    once per machine.
    """
    cocci_config(tree, out)
    key = hashlib.sha256((open(os.path.join(out, '.config')).read() +
                          ' '.join(objs)).encode()).hexdigest()
    saved = os.path.join(out, '.netmem-warnings.json')
    if cache and os.path.exists(saved):
        data = json.load(open(saved))
        if data.get('key') == key:
            log(f'{tree}: warnings of an earlier build of the same objects')
            return {tuple(w) for w in data['warnings']}
    for o in objs:
        if os.path.exists(os.path.join(out, o)):
            os.unlink(os.path.join(out, o))
    env = {**make_env(), 'CCACHE_BASEDIR': tree}
    p = run(['make', '-C', tree, f'O={out}', 'ARCH=x86_64', *make_cc(),
             f'-j{JOBS}', 'W=1', 'C=1', *objs], env=env, capture=True,
            check=False)
    text = p.stdout + p.stderr
    with open(log_path, 'w') as f:
        f.write(text)
    if p.returncode != 0:
        log(text[-4000:])
        raise HarnessError(f'driver build failed in {tree} (log: {log_path})')
    warns = set()
    for m in re.finditer(r'^(\S+?):\d+:(?:\d+:)? (warning|error): (.*)$',
                         text, re.M):
        path = os.path.normpath(os.path.join(out, m.group(1)))
        path = os.path.relpath(path, tree) if path.startswith(tree) else \
            os.path.relpath(path, out)
        warns.add((path, re.sub(r':\d+(:\d+)?', '', m.group(3))))
    if cache:
        with open(saved, 'w') as f:
            json.dump({'key': key, 'warnings': sorted(warns)}, f)
    return warns


def run_cocci():
    """The netmem semantic patches: rule cases, the conversion of drivers/net
    (its result must be what linux/ holds, a second run must change
    nothing), the report against its committed list, the unreadable-payload
    audit against tests/cocci/unreadable.list, and a W=1 + sparse build of
    the page_pool drivers, base against patched."""
    ensure_packages(PKGS_BASE + PKGS_CHECK + PKGS_COCCI)
    need_tree()
    res = os.path.join(RESULTS, 'cocci')
    os.makedirs(res, exist_ok=True)
    counts = no_counts()
    if DRY:
        log('+ spatch cases, conversion, idempotence, report, unreadable '
            'audit; W=1 C=1 driver builds (base and patched)')
        return True, counts

    def result(name, ok, detail=''):
        counts['passed' if ok else 'failed'] += 1
        log(f'cocci: {name}: {"ok" if ok else "FAILED"}{detail}')

    with step('cocci: rule cases'):
        c = cocci_rule_tests(res)
        counts['passed'] += c['passed']
        counts['failed'] += c['failed']
    with step('cocci: conversion of drivers/net (from base)'):
        dst = os.path.join(OUT, 'cocci', 'run')
        files, changed, dt = cocci_convert(dst)
        stale = [rel for rel in files if open(os.path.join(dst, rel), 'rb')
                 .read() != open(os.path.join(TREE, rel), 'rb').read()]
        users = cocci_files(base_worktree(), headers=True)
        p = git('diff', '--name-only', BASE_TAG, '--', *users)
        hand = sorted(set(p.stdout.split()) - set(changed))
        result('linux/ holds the generated conversion', not stale and not hand,
               (f'; differs in {stale} (make cocci-apply)' if stale else '') +
               (f'; edited by hand: {hand}' if hand else ''))
        with open(os.path.join(res, 'time.txt'), 'w') as f:
            f.write(f'{dt:.1f}\n')
    with step('cocci: idempotence over the converted tree'):
        # The files of the base's page_pool users: drivers added later
        # (netdevsim's datapath) are written against netmem by hand.
        p = spatch(os.path.join(TREE, COCCI_PATCH), ['-D', 'patch', *files],
                   cwd=TREE)
        again = p.stdout.strip()
        with open(os.path.join(res, 'second-run.diff'), 'w') as f:
            f.write(p.stdout)
        result('second run changes nothing', p.returncode == 0 and not again,
               '' if not again else '; see build/results/cocci/second-run.diff')
    with step('cocci: report mode'):
        p = spatch(os.path.join(TREE, COCCI_HUMAN),
                   ['-D', 'report', *users], cwd=TREE)
        got = sorted(set(l for l in p.stdout.splitlines() if ': netmem: ' in l))
        with open(os.path.join(res, 'report.txt'), 'w') as f:
            f.write('\n'.join(got) + '\n')
        want = open(COCCI_REPORT).read().splitlines()
        result('report matches tests/cocci/report.expected',
               p.returncode == 0 and got == want,
               '' if got == want else '; diff build/results/cocci/report.txt '
               'tests/cocci/report.expected')
        reasons = {}
        for line in got:
            reason = line.split(': netmem: ', 1)[1].split(':', 1)[0]
            reasons[reason] = reasons.get(reason, 0) + 1
        log('report, sites per reason: ' + ', '.join(
            f'{k} {v}' for k, v in sorted(reasons.items())))
    with step('cocci: unreadable-payload audit'):
        ok, detail = unreadable_audit(res)
        result('every CPU read of frag payload is classified in '
               'tests/cocci/unreadable.list, none open, and netmem.rst '
               'lists the fixed ones', ok, detail)
    diff = git('diff', BASE_TAG, '--', *users).stdout
    per, path = {}, None
    for line in diff.splitlines():
        if line.startswith('+++ '):
            path = line[6:]
        elif line.startswith('+') and path:
            n = len(COCCI_CALL_RE.findall(line))
            if n:
                per[cocci_driver(path)] = per.get(cocci_driver(path), 0) + n
    table = '\n'.join(f'{name:<14} {per.get(name, 0):>3}'
                      for name, _ in COCCI_DRIVERS)
    with open(os.path.join(res, 'converted.txt'), 'w') as f:
        f.write(table + '\n')
    log('converted call sites per driver:\n' + table)
    with step('cocci: W=1 + sparse build of the page_pool drivers'):
        objs = cocci_objects(changed)
        base = base_worktree()
        bw = cocci_build(base, os.path.join(OUT, 'drivers-base'), objs,
                         os.path.join(res, 'build-base.log'), cache=True)
        pw = cocci_build(TREE, os.path.join(OUT, 'drivers'), objs,
                         os.path.join(res, 'build.log'))
        new = sorted(pw - bw)
        with open(os.path.join(res, 'new-warnings.txt'), 'w') as f:
            f.write(''.join(f'{p}: {m}\n' for p, m in new))
        result(f'{len(objs)} driver objects build, no new W=1/sparse '
               f'warnings ({len(bw)} in base)', not new,
               ''.join(f'\n  {p}: {m}' for p, m in new))
    return counts['failed'] == 0, counts


def cmd_cocci():
    ok, counts = run_cocci()
    log(f'cocci: {counts["passed"]} passed, {counts["failed"]} failed')
    return 0 if ok else 1


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
    os.makedirs(BUILD, exist_ok=True)
    try:
        with step(f'harness {argv[1]}{" (dry run)" if DRY else ""}'):
            rc = COMMANDS[argv[1]]()
    except HarnessError as e:
        log(f'error: {e}')
        return 1
    return rc or 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
