# SPDX-License-Identifier: GPL-2.0
# make sizes: pahole sizes of the skb, frag and page_pool types, base
# against patched objects built from the same UML .config.

import os
import re
import shutil
import subprocess

from . import common, tree
from .common import (PKGS_BASE, ensure_packages, log, make_cc, make_env, run,
                     step)
from .tree import base_worktree, need_tree
from .kunit import run_kunit


SIZE_TYPES = [('skb_frag_t', True), ('struct sk_buff', True),
              ('struct skb_shared_info', True), ('struct page', True),
              ('struct page_pool', False), ('struct net_iov', False)]


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
    base = ['make', '-C', tree, f'O={out}', 'ARCH=um', *make_cc(),
            f'-j{common.JOBS}']
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
    patched_cfg = os.path.join(common.OUT, 'uml', '.config')
    if not os.path.exists(patched_cfg) and not common.DRY:
        run_kunit()
    saved = os.path.join(common.OUT, 'uml-patched.config')
    if not common.DRY:
        shutil.copy(patched_cfg, saved)
    with step('sizes: patched objects'):
        patched = build_size_objects(common.TREE,
                                     os.path.join(common.OUT, 'uml'),
                                     saved) if not common.DRY else []
    with step('sizes: base objects, same .config'):
        base_worktree()
        base = build_size_objects(tree.BASE_TREE,
                                  os.path.join(common.OUT, 'uml-base'),
                                  saved) if not common.DRY else []
    if common.DRY:
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
    os.makedirs(common.RESULTS, exist_ok=True)
    with open(os.path.join(common.RESULTS, 'sizes.txt'), 'w') as f:
        f.write(table + '\n')
    log('\n' + table)
    if grew:
        log('sizes: grew or missing: ' + ', '.join(grew))
        return 1
    return 0
