# SPDX-License-Identifier: GPL-2.0
# KUnit under UML: the kunitconfig (config/uml.config + every .kunitconfig
# we ship), kunit.py run, its JSON parsed into counts (make kunit).

import json
import os
import re
import shutil
import sys

from . import common
from .common import (PKGS_BASE, ensure_packages, log, make_cc, make_env,
                     no_counts, run, scan_splats, step)
from .tree import change_files, need_tree


def shipped_kunitconfigs():
    return [os.path.join(common.TREE, rel) for rel, _ in change_files()
            if os.path.basename(rel) == '.kunitconfig']


def kunit_config_file(extra=()):
    """config/uml.config + every .kunitconfig we ship, deduplicated."""
    lines = []
    for path in [os.path.join(common.CONFIG, 'uml.config'),
                 *shipped_kunitconfigs(), *extra]:
        with open(path) as f:
            for line in f:
                line = line.strip()
                keep = line.startswith('CONFIG_') or \
                    re.match(r'# CONFIG_\w+ is not set$', line)
                if keep and line not in lines:
                    lines.append(line)
    dst = os.path.join(common.OUT, 'uml.kunitconfig')
    os.makedirs(common.OUT, exist_ok=True)
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


def run_kunit(build_dir=None, results=None, extra_configs=()):
    """Build and run the UML KUnit kernel. Returns (ok, counts, failed)."""
    ensure_packages(PKGS_BASE)
    need_tree()
    build_dir = build_dir or os.path.join(common.OUT, 'uml')
    results = results or os.path.join(common.RESULTS, 'kunit')
    os.makedirs(results, exist_ok=True)
    kcfg = kunit_config_file(extra_configs)
    jpath = os.path.join(results, 'results.json')
    if os.path.exists(jpath):
        os.unlink(jpath)
    cmd = [sys.executable, 'tools/testing/kunit/kunit.py', 'run',
           f'--build_dir={build_dir}', f'--kunitconfig={kcfg}',
           f'--jobs={common.JOBS}', '--timeout=900', f'--json={jpath}']
    for opt in make_cc():
        cmd += ['--make_options', opt]
    env = make_env()
    with step('kunit (UML)'):
        p = run(cmd, cwd=common.TREE, env=env, check=False)
    if common.DRY:
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
        f'{counts["skipped"]} skipped; TAP in '
        f'{os.path.relpath(results, common.ROOT)}')
    return ok, counts, failed


def cmd_kunit():
    ok, counts, failed = run_kunit()
    if failed:
        log('failed: ' + ', '.join(failed))
    return 0 if ok else 1
