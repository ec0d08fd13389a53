# SPDX-License-Identifier: GPL-2.0
# Static checks on the change: checkpatch, sparse on touched files, the
# sparse misuse cases of tests/sparse, kernel-doc, and the devmem socket
# option numbers in every socket.h (uapi-numbers).

import os
import re
import shlex
import subprocess

from . import common
from .common import (BASE_TAG, HarnessError, PKGS_CHECK, ensure_packages, log,
                     make_cc, make_env, no_counts, run)
from .tree import need_tree, stage_all


def change_diff():
    stage_all()
    return run(['git', 'diff', '--cached', '--no-renames', '--no-color',
                BASE_TAG], cwd=common.TREE, capture=True, query=True,
               quiet=True).stdout


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
    res = os.path.join(common.RESULTS, 'static')
    os.makedirs(res, exist_ok=True)
    return res


def run_checkpatch():
    ensure_packages(['perl'])
    need_tree()
    res = static_results()
    diff = change_diff()
    cmd = ['perl', 'scripts/checkpatch.pl', '--strict', '--no-signoff',
           '--show-types', '--color=never', '--ignore',
           'FILE_PATH_CHANGES,SPDX_LICENSE_TAG', '-']
    log('+ git diff base | ' + ' '.join(cmd))
    if common.DRY:
        return True, {'passed': 0, 'failed': 0, 'skipped': 0}
    p = subprocess.run(cmd, cwd=common.TREE, input=diff, capture_output=True,
                       text=True)
    with open(os.path.join(res, 'checkpatch.txt'), 'w') as f:
        f.write(p.stdout + p.stderr)
    files = sorted(added_lines(diff)[0])
    allow = set()
    for line in open(os.path.join(common.CONFIG, 'checkpatch-allow')):
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
    out = os.path.join(common.OUT, 'vm')
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
    cmd = ['make', '-C', common.TREE, f'O={out}', 'ARCH=x86_64', *make_cc(),
           'C=2', f'-j{common.JOBS}', *objs]
    log('+ ' + ' '.join(shlex.quote(c) for c in cmd))
    if common.DRY:
        return True, counts
    p = subprocess.run(cmd, env={**os.environ, **make_env()},
                       capture_output=True, text=True)
    text = p.stdout + p.stderr
    with open(os.path.join(res, 'sparse.txt'), 'w') as f:
        f.write(text)
    ours = []
    for m in re.finditer(r'^(\S+?):(\d+):\d+: (warning|error): .*$', text, re.M):
        path = os.path.relpath(os.path.join(common.TREE, m.group(1)),
                               common.TREE) \
            if not m.group(1).startswith('/') else \
            os.path.relpath(m.group(1), common.TREE)
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
    if common.DRY:
        log('+ scripts/kernel-doc -none -v <touched files>')
        return True, counts
    added, new = added_lines(change_diff())
    report = []
    for path in sorted(added):
        if not path.endswith(('.c', '.h')) or path.startswith('tools/'):
            continue
        p = subprocess.run(['perl', 'scripts/kernel-doc', '-none', '-v', path],
                           cwd=common.TREE, capture_output=True, text=True)
        ours = [m.group(0) for m in re.finditer(
            r'^\S+?:(\d+): (?:warning|error): .*$', p.stderr, re.M)
            if path in new or int(m.group(1)) in added[path]]
        counts['failed' if ours else 'passed'] += 1
        report += ours
    for path in sorted(new):
        if not path.endswith('.rst'):
            continue
        text = open(os.path.join(common.TREE, path)).read()
        for m in re.finditer(r'^\.\. kernel-doc:: (\S+)\n((?:   :.*\n'
                             r'(?:\s{6,}.*\n)*)*)', text, re.M):
            src, opts = m.group(1), m.group(2)
            ids = re.search(r':identifiers:((?:.*\n)(?:\s{6,}.*\n)*)', opts)
            for ident in (ids.group(1).split() if ids else []):
                p = subprocess.run(['perl', 'scripts/kernel-doc', '-rst',
                                    '-function', ident, src], cwd=common.TREE,
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
    p = run(['make', '-C', common.TREE, f'O={out}', 'ARCH=x86_64', *make_cc(),
             'C=2', 'V=1', probe], env=make_env(), capture=True, query=True,
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
    out = os.path.join(common.OUT, 'vm')
    res = static_results()
    counts = no_counts()
    if common.DRY:
        log('+ sparse (kbuild flags) tests/sparse/*.c')
        return True, counts
    cmd = sparse_command(out)
    report = []
    for fn in sorted(os.listdir(os.path.join(common.ROOT, 'tests/sparse'))):
        src = os.path.join(common.ROOT, 'tests/sparse', fn)
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
        with open(os.path.join(common.TREE, rel)) as f:
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
