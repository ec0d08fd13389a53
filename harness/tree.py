# SPDX-License-Identifier: GPL-2.0
# build/linux: the base source (linux-source-6.1) extracted into a git tree
# tagged 'base', linux/ applied on top (make tree), the tree's diff written
# back into linux/ (make save, save-check), the base checked out beside it.

import os
import shutil
import sys

from . import common
from .common import (BASE_TAG, HarnessError, PKGS_BASE, SRC_PKG, TARBALL,
                     apt_update, ensure_packages, git, installed_version, log,
                     run, step)


def base_version():
    with open(os.path.join(common.ROOT, 'BASE_VERSION')) as f:
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
    path = os.path.join(common.TREE, '.git', 'netmem-base-version')
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    return None


# Debian's tarball .gitignore ignores everything at the top level ("/*"), so
# the tree's own ignore rules cannot tell new files from junk: ours do.
TREE_EXCLUDES = ['__pycache__/', '*.pyc', '*.o', '*.orig', '*.rej', '*~',
                 '.*.swp', '.kunit/', '/.git/']


def excludes_file():
    path = os.path.join(common.TREE, '.git', 'netmem-exclude')
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
    if not os.path.isdir(os.path.join(common.TREE, '.git')):
        return []
    p = git('diff', '--name-only', '-z', '--no-renames', 'HEAD')
    return sorted({f for f in p.stdout.split('\0') if f} | set(untracked_files()))


def change_files():
    """Files of linux/: (relpath, abspath), sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(common.CHANGE):
        dirnames.sort()
        for fn in sorted(filenames):
            ap = os.path.join(dirpath, fn)
            out.append((os.path.relpath(ap, common.CHANGE), ap))
    return out


def extract_base(version):
    tmp = os.path.join(common.BUILD, 'extract.tmp')
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(common.TREE, ignore_errors=True)
    os.makedirs(tmp)
    run(['tar', '-xf', TARBALL, '-C', tmp])
    if not common.DRY:
        os.rename(os.path.join(tmp, 'linux-source-6.1'), common.TREE)
        os.rmdir(tmp)
    git('init', '-q', '-b', 'netmem', query=False, quiet=False)
    git('config', 'core.untrackedCache', 'true', query=False)
    git('config', 'core.preloadIndex', 'true', query=False)
    # -f: the base is the whole tarball, even files .gitignore names.
    git('add', '-A', '-f', '.', query=False, quiet=False)
    git('commit', '-q', '-m', f'base: {SRC_PKG} {version}', query=False,
        quiet=False)
    git('tag', '-f', BASE_TAG, query=False)
    if not common.DRY:
        with open(os.path.join(common.TREE, '.git', 'netmem-base-version'),
                  'w') as f:
            f.write(version + '\n')


def apply_change():
    """Commit base + linux/ and check it out, touching only files that differ.

    The commit is built in a scratch index so that files already in the
    wanted state keep their mtime and the next build stays incremental.
    """
    idx = os.path.join(common.TREE, '.git', 'netmem-apply.index')
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
    if common.DRY:
        return
    tree = git('write-tree', env=env).stdout.strip()
    os.unlink(idx)
    head_tree = git('rev-parse', 'HEAD^{tree}').stdout.strip()
    if tree != head_tree:
        repo_rev = run(['git', 'rev-parse', '--short', 'HEAD'],
                       cwd=common.ROOT, capture=True, check=False, query=True,
                       quiet=True)
        msg = f'netmem change (linux/ of {repo_rev.stdout.strip() or "?"})'
        commit = git('commit-tree', tree, '-p', BASE_TAG, '-m', msg).stdout.strip()
        git('reset', '-q', '--hard', commit, quiet=False)
    for path in untracked_files():
        os.unlink(os.path.join(common.TREE, path))


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
            full = os.path.join(common.TREE, path)
            with open(full, 'rb') as f:
                data = f.read()
            mode = 0o755 if os.access(full, os.X_OK) else 0o644
            want[path] = (data, mode)
        else:
            d = run(['git', 'diff', '--cached', '--no-renames', '--no-color',
                     '--no-ext-diff', BASE_TAG, '--', path], cwd=common.TREE,
                    capture=True, query=True, quiet=True).stdout
            want[path + '.patch'] = (d.encode(), 0o644)
    return want


def cmd_save():
    if common.DRY:
        log('+ (dry run) write the diff of build/linux against base into linux/')
        return
    if not os.path.isdir(os.path.join(common.TREE, '.git')):
        raise HarnessError('no build/linux: run "make tree" first')
    want = tree_change()
    have = dict(change_files())
    written = removed = 0
    for rel, (data, mode) in sorted(want.items()):
        dst = os.path.join(common.CHANGE, rel)
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
    for dirpath, dirnames, filenames in os.walk(common.CHANGE, topdown=False):
        if dirpath != common.CHANGE and not os.listdir(dirpath):
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


def need_tree():
    if not os.path.isdir(os.path.join(common.TREE, '.git')) and not common.DRY:
        cmd_tree()


BASE_TREE = os.path.join(common.BUILD, 'base-linux')


def base_worktree():
    """build/base-linux: the base commit checked out beside the tree."""
    if not os.path.isdir(BASE_TREE):
        git('worktree', 'prune', query=False)
        git('worktree', 'add', '--detach', BASE_TREE, BASE_TAG, query=False,
            quiet=False)
    else:
        run(['git', 'checkout', '-q', '--detach', BASE_TAG], cwd=BASE_TREE)
    return BASE_TREE
