# SPDX-License-Identifier: GPL-2.0
# Coccinelle: rule cases, the drivers/net conversion (make cocci-apply),
# idempotence, the report, the unreadable-payload audit and netmem.rst's
# list of fixed sites (make audit-doc), the W=1 + sparse driver builds.

import hashlib
import json
import os
import re
import shutil
import time

from . import common
from .common import (BASE_TAG, HarnessError, PKGS_BASE, PKGS_CHECK,
                     ensure_packages, git, log, make_cc, make_env, no_counts,
                     run, step)
from .tree import base_worktree, need_tree
from .vm import fragment_lines


PKGS_COCCI = ['coccinelle']
COCCI_RULES = 'scripts/coccinelle/api/netmem'
COCCI_PATCH = f'{COCCI_RULES}/page_pool_netmem.cocci'
COCCI_HUMAN = f'{COCCI_RULES}/page_pool_netmem_human.cocci'
COCCI_TESTS = os.path.join(common.ROOT, 'tests', 'cocci')
COCCI_REPORT = os.path.join(COCCI_TESTS, 'report.expected')
COCCI_CONFIG = os.path.join(common.CONFIG, 'cocci-drivers.config')
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


def spatch(rule, args, cwd, jobs=common.JOBS):
    # -j puts a directory of worker output in the current one unless told
    # otherwise: not in build/linux, where "make save" would take it.
    tmp = os.path.join(common.OUT, 'cocci', 'spatch')
    os.makedirs(os.path.dirname(tmp), exist_ok=True)
    cmd = ['spatch', '--sp-file', rule, '--very-quiet', '--no-includes',
           '-j', str(jobs), '--tmp-dir', tmp, *args]
    return run(cmd, cwd=cwd, capture=True, check=False, query=True,
               shown='spatch --sp-file ' +
               os.path.relpath(rule, common.ROOT) + ' ' +
               ' '.join(a for a in args if a.startswith('-')) +
               f' <{len([a for a in args if not a.startswith("-")])} files>')


def cocci_rule_tests(res):
    """tests/cocci/<rule>/<case>.c against <case>.res: the patch rule in
    spatch's compare mode (plus a byte-exact check and a second run that
    must change nothing), the report rule's lines as they are (against
    <case>.report for a rule that only reports)."""
    counts, report = no_counts(), []
    tmp = os.path.join(common.OUT, 'cocci', 'cases')
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for rule in sorted(os.listdir(COCCI_TESTS)):
        rdir = os.path.join(COCCI_TESTS, rule)
        if not os.path.isdir(rdir):
            continue
        sp = os.path.join(common.TREE, COCCI_RULES, rule + '.cocci')
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
             os.path.exists(os.path.join(common.TREE, f)) and
             calls.search(open(os.path.join(common.TREE, f),
                               errors='replace').read())]
    t0 = time.monotonic()
    p = spatch(os.path.join(common.TREE, UNREADABLE_RULE),
               ['-D', 'report', '--include-headers', *files], cwd=common.TREE)
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
        f'{dt:.1f}s wall (spatch -j {common.JOBS}); ' +
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
    text = open(os.path.join(common.TREE, AUDIT_DOC)).read()
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
    path = os.path.join(common.TREE, AUDIT_DOC)
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
    p = spatch(os.path.join(common.TREE, COCCI_PATCH),
               ['-D', 'patch', '--in-place', *files], cwd=dst)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        log(p.stdout[-3000:] + p.stderr[-3000:])
        raise HarnessError('spatch failed on drivers/net')
    changed = [rel for rel in files if open(os.path.join(dst, rel), 'rb').read()
               != open(os.path.join(base, rel), 'rb').read()]
    log(f'conversion: {len(files)} files of drivers/net call the page_pool '
        f'page API, {len(changed)} changed, {dt:.1f}s wall (git grep + spatch '
        f'-j {common.JOBS})')
    return files, changed, dt


def cmd_cocci_apply():
    """Write the conversion of drivers/net into build/linux."""
    ensure_packages(PKGS_COCCI)
    need_tree()
    dst = os.path.join(common.OUT, 'cocci', 'run')
    files, changed, _ = cocci_convert(dst)
    for rel in files:
        new = open(os.path.join(dst, rel), 'rb').read()
        path = os.path.join(common.TREE, rel)
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
             *[prefix + '*.c' for _, prefix in COCCI_DRIVERS]],
            cwd=common.TREE, capture=True, check=False, query=True, quiet=True)
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
             f'-j{common.JOBS}', 'W=1', 'C=1', *objs], env=env, capture=True,
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
    res = os.path.join(common.RESULTS, 'cocci')
    os.makedirs(res, exist_ok=True)
    counts = no_counts()
    if common.DRY:
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
        dst = os.path.join(common.OUT, 'cocci', 'run')
        files, changed, dt = cocci_convert(dst)
        stale = [rel for rel in files if open(os.path.join(dst, rel), 'rb')
                 .read() != open(os.path.join(common.TREE, rel), 'rb').read()]
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
        p = spatch(os.path.join(common.TREE, COCCI_PATCH),
                   ['-D', 'patch', *files], cwd=common.TREE)
        again = p.stdout.strip()
        with open(os.path.join(res, 'second-run.diff'), 'w') as f:
            f.write(p.stdout)
        result('second run changes nothing', p.returncode == 0 and not again,
               '' if not again else '; see build/results/cocci/second-run.diff')
    with step('cocci: report mode'):
        p = spatch(os.path.join(common.TREE, COCCI_HUMAN),
                   ['-D', 'report', *users], cwd=common.TREE)
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
        bw = cocci_build(base, os.path.join(common.OUT, 'drivers-base'), objs,
                         os.path.join(res, 'build-base.log'), cache=True)
        pw = cocci_build(common.TREE, os.path.join(common.OUT, 'drivers'),
                         objs, os.path.join(res, 'build.log'))
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
