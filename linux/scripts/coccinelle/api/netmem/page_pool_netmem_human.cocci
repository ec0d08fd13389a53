// SPDX-License-Identifier: GPL-2.0-only
///
/// List the page_pool sites that page_pool_netmem.cocci leaves alone
/// because moving them to netmem_ref needs a human, one line per site
/// with its reason:
///
///   payload read       page_address() and friends on a pool buffer: the
///                      CPU reads it, which a net_iov does not allow
///   build_skb          an skb head built in a pool buffer
///   xdp buffer         an XDP buffer pointed at a pool buffer
///   virt_to_page       a payload address translated back to its page
///   page_ref           page reference tricks on a pool buffer
///   put_page           a pool buffer freed as a plain page
///   release            page_pool_release_page(): the buffer leaves the
///                      pool and lives on as a plain page
///   page cache         a driver-private cache of pages
///   page cache         a driver-private cache of pages, or a void * token
///                      (a driver ring slot, a DMA token) that holds pool
///                      buffers
///   stored             a pool local stored into a struct page * field
///   handed off         a pool local passed to some other function, or a
///                      driver helper that returns a pool buffer
///   field              a struct page * field that carries pool buffers and
///                      so stays a page until the sites above are fixed
///   parameter          the same for a parameter
///
/// A pool buffer is what a page_pool call hands out or takes back, and
/// whatever it flows through in the file: locals and parameters of type
/// struct page * or void * it is copied to or from, fields (->name or
/// .name) it is stored in, parameters it is passed to, and the return
/// value of a driver helper that returns it, with the callers' locals it
/// lands in.
///
// Confidence: Moderate
// Keywords: page_pool, netmem
// Options: --no-includes --include-headers

virtual context
virtual org
virtual report

@initialize:python@
@@
import os
import re

# Where pool buffers flow in a file: nodes are ('l', file, function,
# name) for a local or parameter, ('f', file, name) for a field,
# ('r', file, function) for a function's return value.  Links join nodes
# one buffer passes between; seeds are the nodes seen at page_pool calls.
pp_link = {}
pp_seeds = set()
pp_carrying = {}        # file -> set of nodes reached from a seed
pp_said = set()
# Links to an argument or a return value, kept only for functions of
# the file (a parameter or a return seen there): calls of others join
# nothing.
pp_maybe = []
pp_pending = []      # (kind, position, what) to name once the flow is known


def pp_strip(e):
    e = re.sub(r'\s+', '', e.strip())
    e = re.sub(r'^\((struct\w+\*|void\*|unsignedlong|u8\*)\)', '', e)
    e = re.sub(r'^\((.*)\)$', r'\1', e)
    return re.sub(r'\[[^\[\]]*\]$', '', e)


def pp_node(p, e, fn=None):
    e = pp_strip(e)
    m = re.search(r'(?:->|\.)(\w+)$', e)
    if m:
        return ('f', p[0].file, m.group(1))
    if re.match(r'^\w+$', e) and e != 'NULL':
        return ('l', p[0].file, fn or p[0].current_element, e)
    return None


def pp_ret(p, fn=None):
    return ('r', p[0].file, fn or p[0].current_element)


def pp_join(a, b):
    if a and b:
        pp_link.setdefault(a, set()).add(b)
        pp_link.setdefault(b, set()).add(a)


def pp_note(p, e):
    n = pp_node(p, e)
    if n:
        pp_seeds.add(n)


def pp_reached(file):
    if file not in pp_carrying:
        mine = [(a, b) for a, b in pp_maybe if b[1] == file and
                (b in pp_link or b in pp_seeds)]
        for a, b in mine:
            pp_join(a, b)
        seen = set(n for n in pp_seeds if n[1] == file)
        todo = list(seen)
        while todo:
            for m in pp_link.get(todo.pop(), ()):
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        pp_carrying[file] = seen
    return pp_carrying[file]


def pp_carries(p, e):
    return pp_node(p, e) in pp_reached(p[0].file)


def pp_function(p):
    return any(n[0] == 'f' or (n[0] == 'l' and n[2] == p[0].current_element)
               for n in pp_reached(p[0].file))


def pp_field_decl(path, f):
    """What the driver declares field f as: 'page', 'void' or None."""
    d = os.path.dirname(path) or '.'
    for name in sorted(os.listdir(d)):
        if not name.endswith(('.c', '.h')):
            continue
        with open(os.path.join(d, name), errors='replace') as fh:
            code = fh.read()
        if re.search(r'^\s*struct page\s*\*\s*%s\s*;' % f, code, re.M):
            return 'page'
        if re.search(r'^\s*void\s*\*+\s*%s\s*;' % f, code, re.M):
            return 'void'
    return None


def pp_field_line(p, e):
    n = pp_node(p, e)
    if not n or n[0] != 'f' or n not in pp_reached(p[0].file):
        return
    what = pp_field_decl(p[0].file, n[2])
    if what == 'page':
        pp_once(p, 'field', 'field %s carries pool buffers and stays a struct page *' % n[2], n)
    elif what == 'void':
        pp_once(p, 'page cache', 'field %s holds pool buffers as void * tokens: a driver-private ring' % n[2], n)


def pp_emit():
    global pp_pending
    for kind, p, e in pp_pending:
        if kind == 'field':
            pp_field_line(p, e)
        elif kind == 'ret':
            if pp_ret(p) in pp_reached(p[0].file):
                pp_once(p, 'handed off', '%s() returns a pool buffer to its callers'
                        % p[0].current_element, pp_ret(p))
        elif ('l', p[0].file) + e in pp_reached(p[0].file):
            g, x = e
            with open(p[0].file) as fh:
                line = fh.read().splitlines()[int(p[0].line) - 1]
            if re.search(r'void\s*\*\s*%s\b' % x, line):
                pp_once(p, 'page cache', '%s() parameter %s holds a pool buffer as a void * token' % (g, x), ('l', p[0].file, g, x))
            else:
                pp_once(p, 'parameter', '%s() parameter %s carries pool buffers and stays a struct page *' % (g, x), ('l', p[0].file, g, x))
    pp_pending = []


def pp_drop():
    # Only context mode needs the site gone: dropping every binding of
    # a rule would stop the rules after it.
    if cocci_mode == 'context':
        cocci.include_match(False)


def pp_once(p, reason, what, key):
    if key not in pp_said:
        pp_said.add(key)
        pp_say(p, reason, what)


def pp_say(p, reason, what):
    what = re.sub(r'\s*(->|\.)\s*', r'\1', what).replace('& ', '&')
    msg = 'netmem: %s: %s' % (reason, what)
    if cocci_mode == 'org':
        coccilib.org.print_todo(p[0], msg)
    else:
        coccilib.report.print_report(p[0], msg)


cocci_mode = 'report'

@script:python depends on org@
@@
cocci_mode = 'org'

@script:python depends on context@
@@
cocci_mode = 'context'

// The buffers page_pool hands out or takes back.
@pool@
expression P, E, E1, E2, E3;
position p;
@@

(
E@p = page_pool_alloc_pages(P, E1)
|
E@p = page_pool_dev_alloc_pages(P)
|
E@p = page_pool_alloc_frag(P, E1, E2, E3)
|
E@p = page_pool_dev_alloc_frag(P, E1, E2)
|
page_pool_put_page(P, E@p, E1, E2)
|
page_pool_put_full_page(P, E@p, E1)
|
page_pool_recycle_direct(P, E@p)
|
page_pool_get_dma_addr(E@p)
|
page_pool_dma_sync_for_cpu(P, E@p, E1, E2)
|
page_pool_release_page(P, E@p)
)

@script:python@
e << pool.E;
p << pool.p;
@@
pp_note(p, e)
pp_pending.append(('field', p, e))

// A field seen at a page_pool call, passed to a function of the file.
@script:python pf@
e << pool.E;
p << pool.p;
ff;
@@
n = pp_node(p, e)
coccinelle.ff = cocci.make_ident(n[2] if n and n[0] == 'f' else 'pp_none_')

@g_farg@
identifier pf.ff, g;
expression E;
expression list[n] es;
position p;
@@

g(es, \(E->ff@p\|E.ff@p\), ...)

@script:python@
f << pf.ff;
g << g_farg.g;
n << g_farg.n;
p << g_farg.p;
@@
pp_maybe.append((('f', p[0].file, f), ('a', p[0].file, g, n)))

// A driver helper that returns what page_pool hands out.
@pool_ret@
expression P, E1, E2, E3;
position p;
@@

(
return@p page_pool_alloc_pages(P, E1);
|
return@p page_pool_dev_alloc_pages(P);
|
return@p page_pool_alloc_frag(P, E1, E2, E3);
|
return@p page_pool_dev_alloc_frag(P, E1, E2);
)

@script:python@
p << pool_ret.p;
@@
pp_seeds.add(pp_ret(p))
pp_pending.append(('ret', p, None))

// How a buffer moves: copies between struct page * or void * locals
// and parameters and other lvalues, ...
@g_copy@
idexpression {struct page *, void *} X;
expression E;
position p;
@@

(
X@p = E
|
E = X@p
)

@script:python@
x << g_copy.X;
e << g_copy.E;
p << g_copy.p;
@@
pp_join(pp_node(p, x), pp_node(p, e))
pp_pending.append(('field', p, e))

@g_init@
identifier X;
expression E;
position p;
@@

(
struct page *X@p = E;
|
void *X@p = E;
)

@script:python@
x << g_init.X;
e << g_init.E;
p << g_init.p;
@@
pp_join(pp_node(p, x), pp_node(p, e))
pp_pending.append(('field', p, e))

// ... returns and the callers' locals they land in, ...
@g_ret@
idexpression {struct page *, void *} X;
position p;
@@

return@p X;

@script:python@
x << g_ret.X;
p << g_ret.p;
@@
pp_join(pp_node(p, x), pp_ret(p))
pp_pending.append(('ret', p, None))

@g_call@
idexpression {struct page *, void *} X;
identifier g;
position p;
@@

X@p = \(g(...)\|(struct page *)g(...)\)

@script:python@
x << g_call.X;
g << g_call.g;
p << g_call.p;
@@
pp_maybe.append((pp_node(p, x), pp_ret(p, g)))

@g_callinit@
identifier X, g;
position p;
@@

(
struct page *X@p = \(g(...)\|(struct page *)g(...)\);
|
void *X@p = g(...);
)

@script:python@
x << g_callinit.X;
g << g_callinit.g;
p << g_callinit.p;
@@
pp_maybe.append((pp_node(p, x), pp_ret(p, g)))

// ... and arguments to the parameters they are passed to.
@g_param@
identifier g, x;
parameter list[n] ps;
type T;
position pd;
@@

(
T g(ps, struct page *x@pd, ...) { ... }
|
T g(ps, void *x@pd, ...) { ... }
)

@script:python@
g << g_param.g;
x << g_param.x;
n << g_param.n;
pd << g_param.pd;
@@
pp_join(('a', pd[0].file, g, n), ('l', pd[0].file, g, x))
pp_pending.append(('param', pd, (g, x)))

@g_arg@
idexpression {struct page *, void *} X;
identifier g;
expression list[n] es;
position p;
@@

g(es, X@p, ...)

@script:python@
x << g_arg.X;
g << g_arg.g;
n << g_arg.n;
p << g_arg.p;
@@
pp_maybe.append((pp_node(p, x), ('a', p[0].file, g, n)))

@read@
expression E;
identifier fn =~ "^(page_address|page_to_virt|lowmem_page_address|kmap|kmap_atomic|kmap_local_page)$";
position p;
@@

  fn@p(E)

@script:python@
e << read.E;
fn << read.fn;
p << read.p;
@@
if not pp_carries(p, e):
    pp_drop()
elif cocci_mode != 'context':
    pp_say(p, 'payload read', '%s(%s) reads a pool buffer with the CPU' % (fn, e))

@skb@
identifier fn =~ "^(build_skb|napi_build_skb|build_skb_around|napi_build_skb_around)$";
position p;
@@

  fn@p(...)

@script:python@
fn << skb.fn;
p << skb.p;
@@
if not pp_function(p):
    pp_drop()
elif cocci_mode != 'context':
    pp_say(p, 'build_skb', '%s() puts an skb head in a pool buffer' % fn)

@xdp@
expression X;
position p;
@@

  xdp_prepare_buff@p(X, ...)

@script:python@
x << xdp.X;
p << xdp.p;
@@
if not pp_function(p):
    pp_drop()
elif cocci_mode != 'context':
    pp_say(p, 'xdp buffer', 'xdp_prepare_buff(%s) lets XDP read a pool buffer' % x)

@virt@
identifier fn =~ "^(virt_to_head_page|virt_to_page)$";
expression E;
position p;
@@

  fn@p(E)

@script:python@
fn << virt.fn;
e << virt.E;
p << virt.p;
@@
if not pp_function(p):
    pp_drop()
elif cocci_mode != 'context':
    pp_say(p, 'virt_to_page', '%s(%s) maps a payload address back to a page' % (fn, e))

@ref@
identifier fn =~ "^(page_ref_[a-z_]+|get_page|page_count|get_page_unless_zero|set_page_count)$";
expression E;
position p;
@@

  fn@p(E, ...)

@script:python@
fn << ref.fn;
e << ref.E;
p << ref.p;
@@
if not pp_carries(p, e):
    pp_drop()
elif cocci_mode != 'context':
    pp_say(p, 'page_ref', '%s(%s) plays with the refcount of a pool buffer' % (fn, e))

@put@
identifier fn =~ "^(put_page|__free_page|__free_pages|__page_frag_cache_drain|page_frag_free)$";
expression E;
position p;
@@

  fn@p(E, ...)

@script:python@
fn << put.fn;
e << put.E;
p << put.p;
@@
if not pp_carries(p, e):
    pp_drop()
elif cocci_mode != 'context':
    pp_say(p, 'put_page', '%s(%s) frees a pool buffer as a plain page' % (fn, e))

@release@
expression P, E;
position p;
@@

  page_pool_release_page@p(P, E)

@script:python@
e << release.E;
p << release.p;
@@
if cocci_mode != 'context':
    pp_say(p, 'release', 'page_pool_release_page(%s) turns a pool buffer into a plain page' % e)

@store@
expression E;
idexpression {struct page *, void *} X;
identifier f;
position p;
@@

(
  E->f@p = X
|
  E.f@p = X
)

@script:python@
x << store.X;
f << store.f;
p << store.p;
@@
if x == 'NULL' or not pp_carries(p, x) or \
        pp_field_decl(p[0].file, f) == 'void':
    pp_drop()
elif cocci_mode != 'context':
    pp_say(p, 'stored', '%s is stored in field %s, which must become a netmem_ref first' % (x, f))

@handoff@
identifier fn !~ "^(page_pool_[a-z_]+|skb_add_rx_frag|page_address|page_to_virt|lowmem_page_address|kmap[a-z_]*|page_ref_[a-z_]+|get_page|page_count|get_page_unless_zero|set_page_count|put_page|__free_pages?|__page_frag_cache_drain|page_frag_free|virt_to_[a-z_]+|unlikely|likely)$";
idexpression {struct page *, void *} X;
position p;
@@

  fn@p(..., X, ...)

@script:python@
fn << handoff.fn;
x << handoff.X;
p << handoff.p;
@@
if not pp_carries(p, x):
    pp_drop()
elif cocci_mode != 'context':
    pp_say(p, 'handed off', '%s() takes the pool buffer %s' % (fn, x))

@cache@
identifier S;
identifier f =~ "cache";
expression N;
position p;
@@

struct S {
  ...
  struct page *f@p[N];
  ...
};

@script:python@
s << cache.S;
f << cache.f;
p << cache.p;
@@
if cocci_mode != 'context':
    pp_say(p, 'page cache', 'struct %s keeps pages in %s[]: a driver-private page cache' % (s, f))

// void * locals that carry pool buffers.
@vdecl depends on !context@
identifier fn, X;
expression E;
position p;
@@

fn(...) {
... when any
(
void *X@p;
|
void *X@p = E;
)
... when any
}

@script:python@
fn << vdecl.fn;
x << vdecl.X;
p << vdecl.p;
@@
if ('l', p[0].file, fn, x) in pp_reached(p[0].file):
    pp_once(p, 'page cache', '%s() local %s holds a pool buffer as a void * token' % (fn, x), ('l', p[0].file, fn, x))


// What stays a page because of the sites above: fields, parameters,
// void * tokens and helpers that carry pool buffers.
@script:python depends on !context@
@@
pp_emit()

//----------------------------------------------------------
//  context mode: the same sites, starred
//----------------------------------------------------------

@depends on context@
expression E, X;
identifier f;
position store.p;
@@

(
* E->f@p = X
|
* E.f@p = X
)

@depends on context@
identifier fn;
expression E;
position p = {read.p, virt.p, ref.p, put.p};
@@

* fn@p(E, ...)

@depends on context@
identifier fn;
position p = {skb.p, xdp.p, release.p, handoff.p};
@@

* fn@p(...)

@depends on context@
identifier S, f;
expression N;
position cache.p;
@@

struct S {
  ...
* struct page *f@p[N];
  ...
};
