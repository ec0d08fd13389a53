// SPDX-License-Identifier: GPL-2.0-only
///
/// Move page_pool users to the netmem API.
///
/// A "struct page *" that only ever holds a page_pool buffer becomes a
/// netmem_ref, and each page_pool call on it becomes its netmem
/// counterpart: page_pool_{,dev_}alloc_{pages,frag}, page_pool_put_{,full_}page,
/// page_pool_recycle_direct, page_pool_get_dma_addr,
/// page_pool_dma_sync_for_cpu and skb_add_rx_frag.  That holds for:
///
///  - a local, declared alone on its line;
///  - a parameter of a static function whose name appears only at its
///    definition and at direct calls (no prototype, no function pointer);
///    each call then passes page_to_netmem() of its argument, or the
///    argument as it is when that is itself converted;
///  - a field of a struct defined in the same .c file, when every access
///    to a field of that name in the file goes through that struct's type.
///
/// "Only holds a pool buffer" means every use is one the netmem API takes:
/// a page_pool call or skb_add_rx_frag(), a NULL test or reset, an
/// assignment to or from another such variable, or the argument of a
/// parameter that is converted too; and at least one use is a page_pool
/// call.  Anything else (page_address(), an XDP buffer, a call of another
/// driver function, a return, ...) keeps the variable a page: its page
/// calls stay valid, they are thin wrappers of the netmem ones.
/// page_pool_netmem_human.cocci names those sites and why.
///
/// The rule is idempotent: a converted variable is no longer a
/// struct page *.
///
// Confidence: High
// Keywords: page_pool, netmem
// Options: --no-includes --include-headers

virtual patch
virtual context
virtual org
virtual report

@initialize:python@
@@
import re

# A candidate is a key: (file, function, name) for a local or a parameter,
# (file, None, name) for a field.  A use is key + (line, column).
netmem_cands = {}       # key -> (kind, detail)
netmem_uses = {}        # key -> set of uses
netmem_good = set()     # uses the netmem API takes as they are
netmem_pool = set()     # uses at a page_pool call
netmem_cond = {}        # use -> keys that must convert for it to be good
netmem_params = {}      # (file, function, index) -> key of that parameter
netmem_calls = {}       # (file, function) -> number of direct calls
netmem_live = {}        # file -> set of keys that convert
netmem_renamed = set()  # (file, function, new name) of converted ones
netmem_emitted = set()  # keys handed to the rewrite already
netmem_argfns = set()   # (file, function) whose calls are rewritten
netmem_said = set()     # keys reported already


def netmem_key(p, x):
    return (p[0].file, p[0].current_element, x)


def netmem_pos(p, x):
    return netmem_key(p, x) + (p[0].line, p[0].column)


def netmem_fkey(p, f):
    return (p[0].file, None, f)


def netmem_fpos(p, f):
    return netmem_fkey(p, f) + (p[0].line, p[0].column)


def netmem_use(pos, good=False, pool=False, cond=None):
    netmem_uses.setdefault(pos[:3], set()).add(pos)
    if good:
        netmem_good.add(pos)
    if pool:
        netmem_pool.add(pos)
    if cond is not None:
        netmem_cond.setdefault(pos, []).append(cond)


def netmem_code(path):
    with open(path) as f:
        return re.sub(r'/\*.*?\*/|//[^\n]*', '', f.read(), flags=re.S)


def netmem_name(path, x):
    """x with "page" spelt "netmem", unless the file's code uses that name."""
    name = x.replace('page', 'netmem')
    if name == x:
        return x
    if re.search(r'\b%s\b' % name, netmem_code(path)):
        return x
    return name


def netmem_own_decl(p, x, field=False):
    """The declaration declares x alone: spatch cannot split a list."""
    with open(p[0].file) as f:
        line = f.read().splitlines()[int(p[0].line) - 1]
    init = '' if field else '( = NULL)?'
    return re.match(r'\s*struct page \*%s%s;\s*$' % (x, init), line)


def netmem_fn_private(path, fn):
    """fn is named only at its definition and its direct calls."""
    named = len(re.findall(r'\b%s\b' % fn, netmem_code(path)))
    return named == 1 + len(netmem_calls.get((path, fn), ()))


def netmem_field_init(path, f):
    """f is named in a designated initializer, which no rule here sees."""
    return re.search(r'[{,]\s*\.%s\s*=[^=]' % f, netmem_code(path))


def netmem_dep(file, d):
    """A dependency as a key: a (file, function, index) of a parameter
    is looked up, a key is itself."""
    if d[0] == 'param':
        return netmem_params.get((file, d[1], d[2]))
    return d


def netmem_settle(file):
    """The candidates of @file that convert: start from all of them, drop
    each one with a use that is not good until nothing changes."""
    if file in netmem_live:
        return netmem_live[file]
    live = set()
    for key, (kind, ok) in netmem_cands.items():
        if kind == 'param':
            ok = netmem_fn_private(file, key[1])
        elif kind == 'field' and ok:
            ok = not netmem_field_init(file, key[2])
        if key[0] == file and ok:
            live.add(key)
    changed = True
    while changed:
        changed = False
        for key in sorted(live, key=str):
            uses = netmem_uses.get(key, set())
            fine = any(u in netmem_pool or u in netmem_cond for u in uses)
            for u in uses:
                if not fine:
                    break
                if u in netmem_good:
                    continue
                fine = any(all(netmem_dep(file, d) in live for d in deps)
                           for deps in netmem_cond.get(u, []))
            if not fine:
                live.discard(key)
                changed = True
    netmem_live[file] = live
    return live


def netmem_converts(key):
    return key in netmem_settle(key[0])


def netmem_say(p, msg):
    if netmem_org:
        coccilib.org.print_todo(p[0], msg)
    else:
        coccilib.report.print_report(p[0], msg)


netmem_org = False

@script:python depends on org@
@@
netmem_org = True

//----------------------------------------------------------
//  the candidates
//----------------------------------------------------------

// Every local struct page * of a function.
@decl@
identifier fn, x;
position pd;
@@

fn(...) {
... when any
(
struct page *x@pd;
|
struct page *x@pd = NULL;
)
... when any
}

@script:python@
x << decl.x;
pd << decl.pd;
@@
netmem_cands[netmem_key(pd, x)] = ('local', bool(netmem_own_decl(pd, x)))

// Every struct page * parameter of a static function, with its index.
@pdecl@
identifier fn, x;
parameter list[n] ps;
type T;
position pd;
@@

static T fn(ps, struct page *x@pd, ...) { ... }

@pcall@
identifier pdecl.fn;
position p;
@@

fn@p(...)

@script:python@
fn << pdecl.fn;
p << pcall.p;
@@
k = (p[0].file, fn)
netmem_calls.setdefault(k, set()).add((p[0].line, p[0].column))

@script:python@
fn << pdecl.fn;
x << pdecl.x;
n << pdecl.n;
pd << pdecl.pd;
@@
k = (pd[0].file, fn, x)
netmem_params[(pd[0].file, fn, n)] = k
netmem_cands[k] = ('param', None)

// Every struct page * field of a struct of this file.
@fdecl@
identifier S, f;
position pd;
@@

struct S {
  ...
  struct page *f@pd;
  ...
};

@script:python@
f << fdecl.f;
pd << fdecl.pd;
@@
netmem_cands[netmem_fkey(pd, f)] = ('field',
                                    bool(netmem_own_decl(pd, f, True)))

//----------------------------------------------------------
//  the uses of locals and parameters
//----------------------------------------------------------

@any_use@
idexpression struct page *X;
position p;
@@

X@p

@script:python@
x << any_use.X;
p << any_use.p;
@@
netmem_use(netmem_pos(p, x))

@pool_use@
idexpression struct page *X;
expression P, E1, E2, E3, E4;
position p;
@@

(
X@p = page_pool_alloc_pages(P, E1)
|
X@p = page_pool_dev_alloc_pages(P)
|
X@p = page_pool_alloc_frag(P, E1, E2, E3)
|
X@p = page_pool_dev_alloc_frag(P, E1, E2)
|
page_pool_put_page(P, X@p, E1, E2)
|
page_pool_put_full_page(P, X@p, E1)
|
page_pool_recycle_direct(P, X@p)
|
page_pool_get_dma_addr(X@p)
|
page_pool_dma_sync_for_cpu(P, X@p, E1, E2)
|
skb_add_rx_frag(E1, E2, X@p, E3, E4, P)
)

@script:python@
x << pool_use.X;
p << pool_use.p;
@@
netmem_use(netmem_pos(p, x), good=True, pool=True)

@null_use@
idexpression struct page *X;
position p;
@@

(
X@p = NULL
|
!X@p
|
X@p == NULL
)

@script:python@
x << null_use.X;
p << null_use.p;
@@
netmem_use(netmem_pos(p, x), good=True)

@null_test@
idexpression struct page *X;
position p;
statement S1, S2;
@@

(
if (X@p) S1 else S2
|
if (X@p) S1
)

@script:python@
x << null_test.X;
p << null_test.p;
@@
netmem_use(netmem_pos(p, x), good=True)

// Good if the parameter it is passed to converts.
@arg_use@
identifier g;
expression list[n] es;
idexpression struct page *X;
position p;
@@

g(es, X@p, ...)

@script:python@
g << arg_use.g;
n << arg_use.n;
x << arg_use.X;
p << arg_use.p;
@@
netmem_use(netmem_pos(p, x), cond=[('param', g, n)])

// Good if both sides convert.
@copy_use@
idexpression struct page *X, Y;
position p, q;
@@

X@p = Y@q

@script:python@
x << copy_use.X;
y << copy_use.Y;
p << copy_use.p;
q << copy_use.q;
@@
netmem_use(netmem_pos(p, x), cond=[netmem_key(q, y)])
netmem_use(netmem_pos(q, y), cond=[netmem_key(p, x)])

//----------------------------------------------------------
//  the uses of fields: good only through the struct's own type
//----------------------------------------------------------

@f_any@
identifier fdecl.f;
expression E;
position p;
@@

(
E->f@p
|
E.f@p
)

@script:python@
f << fdecl.f;
p << f_any.p;
@@
netmem_use(netmem_fpos(p, f))

@f_pool@
identifier fdecl.S, fdecl.f;
struct S *E;
struct S E0;
expression P, E1, E2, E3, E4;
position p;
@@

(
\(E->f@p\|E0.f@p\) = page_pool_alloc_pages(P, E1)
|
\(E->f@p\|E0.f@p\) = page_pool_dev_alloc_pages(P)
|
\(E->f@p\|E0.f@p\) = page_pool_alloc_frag(P, E1, E2, E3)
|
\(E->f@p\|E0.f@p\) = page_pool_dev_alloc_frag(P, E1, E2)
|
page_pool_put_page(P, \(E->f@p\|E0.f@p\), E1, E2)
|
page_pool_put_full_page(P, \(E->f@p\|E0.f@p\), E1)
|
page_pool_recycle_direct(P, \(E->f@p\|E0.f@p\))
|
page_pool_get_dma_addr(\(E->f@p\|E0.f@p\))
|
page_pool_dma_sync_for_cpu(P, \(E->f@p\|E0.f@p\), E1, E2)
|
skb_add_rx_frag(E1, E2, \(E->f@p\|E0.f@p\), E3, E4, P)
)

@script:python@
f << fdecl.f;
p << f_pool.p;
@@
netmem_use(netmem_fpos(p, f), good=True, pool=True)

@f_null@
identifier fdecl.S, fdecl.f;
struct S *E;
struct S E0;
position p;
@@

(
\(E->f@p\|E0.f@p\) = NULL
|
!\(E->f@p\|E0.f@p\)
|
\(E->f@p\|E0.f@p\) == NULL
)

@script:python@
f << fdecl.f;
p << f_null.p;
@@
netmem_use(netmem_fpos(p, f), good=True)

@f_test@
identifier fdecl.S, fdecl.f;
struct S *E;
struct S E0;
position p;
statement S1, S2;
@@

(
if (\(E->f@p\|E0.f@p\)) S1 else S2
|
if (\(E->f@p\|E0.f@p\)) S1
)

@script:python@
f << fdecl.f;
p << f_test.p;
@@
netmem_use(netmem_fpos(p, f), good=True)

@f_arg@
identifier fdecl.S, fdecl.f, g;
struct S *E;
struct S E0;
expression list[n] es;
position p;
@@

g(es, \(E->f@p\|E0.f@p\), ...)

@script:python@
f << fdecl.f;
g << f_arg.g;
n << f_arg.n;
p << f_arg.p;
@@
netmem_use(netmem_fpos(p, f), cond=[('param', g, n)])

@f_copy@
identifier fdecl.S, fdecl.f;
struct S *E;
struct S E0;
idexpression struct page *X;
position p, q;
@@

(
\(E->f@p\|E0.f@p\) = X@q
|
X@q = \(E->f@p\|E0.f@p\)
)

@script:python@
f << fdecl.f;
x << f_copy.X;
p << f_copy.p;
q << f_copy.q;
@@
netmem_use(netmem_fpos(p, f), cond=[netmem_key(q, x)])
netmem_use(netmem_pos(q, x), cond=[netmem_fkey(p, f)])

//----------------------------------------------------------
//  the decisions
//----------------------------------------------------------

// One binding per function and struct page * variable it uses: its
// first use.
@cand@
idexpression struct page *X;
position p;
@@

X@p

@script:python ok@
x << cand.X;
p << cand.p;
f;
y;
z;
@@
fn = p[0].current_element
key = (p[0].file, fn, x)
if key in netmem_emitted or not netmem_converts(key):
    fn = x = z = 'netmem_none_'
else:
    netmem_emitted.add(key)
    z = netmem_name(p[0].file, x)
    netmem_renamed.add((p[0].file, fn, z))
coccinelle.f = cocci.make_ident(fn)
coccinelle.y = cocci.make_ident(x)
coccinelle.z = cocci.make_ident(z)

// Rejected ones get a name no code uses: dropping every binding of a
// rule would stop the rules after it.
@script:python okf@
f << fdecl.f;
pd << fdecl.pd;
ff;
@@
if netmem_converts(netmem_fkey(pd, f)):
    coccinelle.ff = cocci.make_ident(f)
else:
    coccinelle.ff = cocci.make_ident('netmem_none_')

@conv_decl depends on patch && !context && !org && !report@
identifier ok.f, ok.y, ok.z;
@@

f(...) {
<...
(
- struct page *y;
+ netmem_ref z;
|
- struct page *y = NULL;
+ netmem_ref z = 0;
)
...>
}

@conv_param depends on patch && !context && !org && !report@
identifier ok.f, ok.y, ok.z;
type T;
@@

T f(...,
- struct page *y
+ netmem_ref z
  , ...) { ... }

// The whole call is rewritten, not just its name, so that spatch lays
// out the arguments again under the longer name.
@conv_call depends on patch && !context && !org && !report@
identifier ok.f, ok.y, ok.z;
expression P, E1, E2, E3, E4;
@@

f(...) {
<...
(
- y = page_pool_alloc_pages(P, E1)
+ z = page_pool_alloc_netmem(P, E1)
|
- y = page_pool_dev_alloc_pages(P)
+ z = page_pool_dev_alloc_netmem(P)
|
- y = page_pool_alloc_frag(P, E1, E2, E3)
+ z = page_pool_alloc_frag_netmem(P, E1, E2, E3)
|
- y = page_pool_dev_alloc_frag(P, E1, E2)
+ z = page_pool_dev_alloc_frag_netmem(P, E1, E2)
|
- page_pool_put_page(P, y, E1, E2)
+ page_pool_put_netmem(P, z, E1, E2)
|
- page_pool_put_full_page(P, y, E1)
+ page_pool_put_full_netmem(P, z, E1)
|
- page_pool_recycle_direct(P, y)
+ page_pool_recycle_direct_netmem(P, z)
|
- page_pool_get_dma_addr(y)
+ page_pool_get_dma_addr_netmem(z)
|
- page_pool_dma_sync_for_cpu(P, y, E1, E2)
+ page_pool_dma_sync_netmem_for_cpu(P, z, E1, E2)
|
- skb_add_rx_frag(E1, E2, y, E3, E4, P)
+ skb_add_rx_frag_netmem(E1, E2, z, E3, E4, P)
|
- y = NULL
+ z = 0
|
- y == NULL
+ !z
)
...>
}

// What is left are the NULL tests, copies and arguments.
@conv_rest depends on patch && !context && !org && !report@
identifier ok.f, ok.y, ok.z;
@@

f(...) {
<...
- y
+ z
...>
}

@conv_fdecl depends on patch && !context && !org && !report@
identifier okf.ff;
identifier S;
@@

struct S {
  ...
- struct page *ff;
+ netmem_ref ff;
  ...
};

// A field keeps its name: only the calls change.
@conv_fcall depends on patch && !context && !org && !report@
identifier okf.ff;
expression E, P, E1, E2, E3, E4;
@@

(
\(E->ff\|E.ff\) =
- page_pool_alloc_pages
+ page_pool_alloc_netmem
  (P, E1)
|
\(E->ff\|E.ff\) =
- page_pool_dev_alloc_pages
+ page_pool_dev_alloc_netmem
  (P)
|
\(E->ff\|E.ff\) =
- page_pool_alloc_frag
+ page_pool_alloc_frag_netmem
  (P, E1, E2, E3)
|
\(E->ff\|E.ff\) =
- page_pool_dev_alloc_frag
+ page_pool_dev_alloc_frag_netmem
  (P, E1, E2)
|
- page_pool_put_page
+ page_pool_put_netmem
  (P, \(E->ff\|E.ff\), E1, E2)
|
- page_pool_put_full_page
+ page_pool_put_full_netmem
  (P, \(E->ff\|E.ff\), E1)
|
- page_pool_recycle_direct
+ page_pool_recycle_direct_netmem
  (P, \(E->ff\|E.ff\))
|
- page_pool_get_dma_addr
+ page_pool_get_dma_addr_netmem
  (\(E->ff\|E.ff\))
|
- page_pool_dma_sync_for_cpu
+ page_pool_dma_sync_netmem_for_cpu
  (P, \(E->ff\|E.ff\), E1, E2)
|
- skb_add_rx_frag
+ skb_add_rx_frag_netmem
  (E1, E2, \(E->ff\|E.ff\), E3, E4, P)
|
\(E->ff\|E.ff\) =
- NULL
+ 0
|
- E->ff == NULL
+ !E->ff
|
- E.ff == NULL
+ !E.ff
)

// The arguments of a converted parameter that are not converted
// themselves; last, as positions do not survive the rewrites above.
@script:python pfn depends on patch && !context && !org && !report@
fn << pdecl.fn;
x << pdecl.x;
pd << pdecl.pd;
g;
@@
key = (pd[0].file, fn, x)
if (pd[0].file, fn) in netmem_argfns or not netmem_converts(key):
    fn = 'netmem_none_'
else:
    netmem_argfns.add((pd[0].file, fn))
coccinelle.g = cocci.make_ident(fn)

@arg depends on patch && !context && !org && !report@
identifier pfn.g;
expression list[n] es;
expression A;
position p;
@@

g(es, A@p, ...)

@script:python@
g << pfn.g;
n << arg.n;
a << arg.A;
p << arg.p;
@@
key = netmem_params.get((p[0].file, g, n))
a = re.sub(r'\s+', '', a)
m = re.search(r'(?:->|\.)(\w+)$', a)
if m:
    own = (p[0].file, None, m.group(1))
else:
    own = (p[0].file, p[0].current_element, a)
if not key or not netmem_converts(key) or netmem_converts(own) or \
        own in netmem_renamed:
    cocci.include_match(False)

@conv_arg depends on patch && !context && !org && !report@
expression arg.A;
position arg.p;
@@

(
- NULL@p
+ 0
|
- A@p
+ page_to_netmem(A)
)

//----------------------------------------------------------
//  context, org and report modes
//----------------------------------------------------------

@conv_ctx depends on context && !patch && !org && !report@
identifier ok.f, ok.y;
@@

f(...) {
<...
(
* struct page *y;
|
* struct page *y = NULL;
)
...>
}

@conv_pctx depends on context && !patch && !org && !report@
identifier ok.f, ok.y;
type T;
@@

T f(...,
* struct page *y
  , ...) { ... }

@conv_fctx depends on context && !patch && !org && !report@
identifier okf.ff;
identifier S;
@@

struct S {
  ...
* struct page *ff;
  ...
};

@script:python depends on (org || report) && !patch@
x << cand.X;
p << cand.p;
@@
fn = p[0].current_element
key = (p[0].file, fn, x)
if key not in netmem_said and netmem_converts(key):
    netmem_said.add(key)
    what = netmem_cands[key][0]
    netmem_say(p, "%s() %s %s only carries page_pool buffers: use netmem_ref"
               % (fn, 'parameter' if what == 'param' else 'local', x))

@script:python depends on (org || report) && !patch@
s << fdecl.S;
f << fdecl.f;
pd << fdecl.pd;
@@
if netmem_converts(netmem_fkey(pd, f)):
    netmem_say(pd, "struct %s field %s only carries page_pool buffers: use netmem_ref"
               % (s, f))
