# SPDX-License-Identifier: GPL-2.0
# Shared ground: owns the settings (DRY, JOBS, CCACHE_DIR) and the paths
# (ROOT, TREE, OUT...), which other modules read as common.X, never copy;
# logging, steps, running commands, apt packages, the build environment
# (ccache), the kernel-log splat scan and the result counts.

import contextlib
import os
import re
import shlex
import subprocess
import sys
import time

# The repo: the directory that holds this package.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


# ---------------------------------------------------------------- builds

def make_env():
    os.makedirs(CCACHE_DIR, exist_ok=True)
    return {'CCACHE_DIR': CCACHE_DIR, 'CCACHE_BASEDIR': TREE,
            'CCACHE_NOHASHDIR': '1', 'CCACHE_MAXSIZE': '15G',
            'PYTHONDONTWRITEBYTECODE': '1',
            'CCACHE_SLOPPINESS': 'time_macros,include_file_mtime,include_file_ctime'}


def make_cc():
    return ['CC=ccache gcc', 'HOSTCC=ccache gcc']


# ---------------------------------------------------------------- results

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


def no_counts():
    return {'passed': 0, 'failed': 0, 'skipped': 0}
