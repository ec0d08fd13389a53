# SPDX-License-Identifier: GPL-2.0
# make bench: the page_pool micro-benchmark, base 6.1 + bench against the
# patched kernel, both UML, booted alternately; stats and the table.

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import time

from . import common
from .common import (BASE_TAG, HarnessError, PKGS_BASE, ensure_packages, git,
                     log, make_cc, make_env, run, scan_splats, step)
from .tree import change_files, need_tree
from .vm import fragment_lines


BENCH_SRC = 'lib/test_page_pool_bench.c'
BENCH_SYMBOL = 'TEST_PAGE_POOL_BENCH'
BENCH_BASE_TREE = os.path.join(common.BUILD, 'bench-base-linux')
BENCH_RESULTS = os.path.join(common.RESULTS, 'bench')
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
    src = os.path.join(common.CHANGE, BENCH_SRC)
    if not os.path.exists(src) and not common.DRY:
        raise HarnessError(f'linux/{BENCH_SRC} is missing')
    patch = os.path.join(common.OUT, 'bench-base.patch')
    parts = []
    for rel, ap in change_files():
        if rel.endswith('.patch'):
            part = bench_patch_hunks(ap)
            if part:
                parts.append(part)
    if len(parts) < 2 and not common.DRY:
        raise HarnessError(f'no Kconfig and Makefile hunks for {BENCH_SYMBOL} '
                           'found in linux/')
    if not common.DRY:
        os.makedirs(common.OUT, exist_ok=True)
        with open(patch, 'w') as f:
            f.write(''.join(parts))
    log(f'bench base: tag {BASE_TAG} + {BENCH_SRC} + hunks of '
        f'{len(parts)} patches ({os.path.relpath(patch, common.ROOT)})')
    if not os.path.isdir(BENCH_BASE_TREE):
        git('worktree', 'prune', query=False)
        git('worktree', 'add', '--detach', BENCH_BASE_TREE, BASE_TAG,
            query=False, quiet=False)
    if common.DRY:
        return BENCH_BASE_TREE
    idx = os.path.join(common.TREE, '.git', 'netmem-bench.index')
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
    frag = os.path.join(common.CONFIG, 'bench.config')
    os.makedirs(out, exist_ok=True)
    cfg = os.path.join(out, '.config')
    stamp = os.path.join(out, '.netmem-config-stamp')
    digest = hashlib.sha256(open(frag, 'rb').read()).hexdigest()
    if not (os.path.exists(cfg) and os.path.exists(stamp) and
            open(stamp).read() == digest):
        if not common.DRY:
            shutil.copy(frag, cfg)
        run(['make', '-C', tree, f'O={out}', 'ARCH=um', *make_cc(),
             'olddefconfig'], env={**make_env(), 'CCACHE_BASEDIR': tree})
        if common.DRY:
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
    run(['make', '-C', tree, f'O={out}', 'ARCH=um', *make_cc(),
         f'-j{common.JOBS}'], env=env)
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
        f'{os.path.relpath(logfile, common.ROOT)}')
    if common.DRY:
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
                           f'{os.path.relpath(logfile, common.ROOT)}')
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
    kernels = {'base': os.path.join(common.OUT, 'bench-base'),
               'patched': os.path.join(common.OUT, 'bench-patched')}
    with step('bench: base tree (base + bench only)'):
        base_tree = bench_base_tree()
    trees = {'base': base_tree, 'patched': common.TREE}
    configs = {}
    for name, out in kernels.items():
        with step(f'bench: {name} kernel (UML, config/bench.config)'):
            bench_config(trees[name], out)
            kernels[name] = bench_build(trees[name], out)
            # Read after the build: kbuild may have updated the .config.
            configs[name] = {} if common.DRY else bench_read_config(out)
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
    if common.DRY:
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
    with open(os.path.join(common.RESULTS, 'bench.json'), 'w') as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(common.RESULTS, 'bench.txt'), 'w') as f:
        f.write(table + '\n' + legend + '\n')
    log('\n' + table + '\n' + legend)
    log(f'bench: results in '
        f'{os.path.relpath(common.RESULTS, common.ROOT)}/bench.json')
    return 0
