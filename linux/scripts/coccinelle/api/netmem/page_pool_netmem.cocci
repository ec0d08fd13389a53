// SPDX-License-Identifier: GPL-2.0-only
///
/// Move page_pool users to the netmem API.
///
/// A local "struct page *" that only ever holds a page_pool buffer (it is
/// assigned from a page_pool allocation, tested for NULL and handed to
/// page_pool or skb_add_rx_frag(), nothing else) becomes a netmem_ref, and
/// each of those calls becomes its netmem counterpart:
/// page_pool_{,dev_}alloc_{pages,frag}, page_pool_put_{,full_}page,
/// page_pool_recycle_direct, page_pool_get_dma_addr,
/// page_pool_dma_sync_for_cpu and skb_add_rx_frag.
///
/// A local with any other use (page_address(), an XDP buffer, a store into
/// a struct, a call of a driver function, ...) keeps its type and its page
/// calls, which stay valid: they are thin wrappers of the netmem ones.
/// page_pool_netmem_human.cocci names those sites and why.
///
/// The rule is idempotent: a converted local is no longer a struct page *.
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

# (file, function, local) -> line:column of each use; one set for all
# uses, one for the uses the netmem API can take, one for the pool calls.
netmem_uses = {}
netmem_good = set()
netmem_pool = set()


def netmem_key(p, x):
    return (p[0].file, p[0].current_element, x)


def netmem_pos(p, x):
    return netmem_key(p, x) + (p[0].line, p[0].column)


def netmem_name(path, x):
    """x with "page" spelt "netmem", unless the file's code uses that name."""
    name = x.replace('page', 'netmem')
    if name == x:
        return x
    with open(path) as f:
        code = re.sub(r'/\*.*?\*/|//[^\n]*', '', f.read(), flags=re.S)
    if re.search(r'\b%s\b' % name, code):
        return x
    return name


def netmem_own_decl(pd, x):
    """The declaration declares x alone: spatch cannot split a list."""
    with open(pd[0].file) as f:
        line = f.read().splitlines()[int(pd[0].line) - 1]
    return re.match(r'\s*struct page \*%s( = NULL)?;\s*$' % x, line)


def netmem_convertible(key):
    uses = netmem_uses.get(key, set())
    if not uses or not uses <= netmem_good:
        return False
    return any(u in netmem_pool for u in uses)

// Every local struct page * of a function (a parameter is not a local).
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

// The uses the netmem API takes as they are: pool calls ...
@pool_use@
identifier decl.x;
expression P, E1, E2, E3, E4;
position p;
@@

(
x@p = page_pool_alloc_pages(P, E1)
|
x@p = page_pool_dev_alloc_pages(P)
|
x@p = page_pool_alloc_frag(P, E1, E2, E3)
|
x@p = page_pool_dev_alloc_frag(P, E1, E2)
|
page_pool_put_page(P, x@p, E1, E2)
|
page_pool_put_full_page(P, x@p, E1)
|
page_pool_recycle_direct(P, x@p)
|
page_pool_get_dma_addr(x@p)
|
page_pool_dma_sync_for_cpu(P, x@p, E1, E2)
|
skb_add_rx_frag(E1, E2, x@p, E3, E4, P)
)

@script:python@
x << decl.x;
p << pool_use.p;
@@
netmem_good.add(netmem_pos(p, x))
netmem_pool.add(netmem_pos(p, x))

// ... and NULL tests and resets.
@null_use@
identifier decl.x;
position p;
@@

(
x@p = NULL
|
!x@p
|
x@p == NULL
)

@script:python@
x << decl.x;
p << null_use.p;
@@
netmem_good.add(netmem_pos(p, x))

@null_test@
identifier decl.x;
position p;
statement S1, S2;
@@

(
if (x@p) S1 else S2
|
if (x@p) S1
)

@script:python@
x << decl.x;
p << null_test.p;
@@
netmem_good.add(netmem_pos(p, x))

@any_use@
identifier decl.x;
position p;
@@

x@p

@script:python@
x << decl.x;
p << any_use.p;
@@
netmem_uses.setdefault(netmem_key(p, x), set()).add(netmem_pos(p, x))

@script:python ok@
fn << decl.fn;
x << decl.x;
pd << decl.pd;
f;
y;
z;
@@
if not netmem_convertible((pd[0].file, fn, x)) or \
        not netmem_own_decl(pd, x):
    cocci.include_match(False)
else:
    coccinelle.f = cocci.make_ident(fn)
    coccinelle.y = cocci.make_ident(x)
    coccinelle.z = cocci.make_ident(netmem_name(pd[0].file, x))

//----------------------------------------------------------
//  patch mode
//----------------------------------------------------------

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

// What is left are the NULL tests.
@conv_rest depends on patch && !context && !org && !report@
identifier ok.f, ok.y, ok.z;
@@

f(...) {
<...
- y
+ z
...>
}

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

@script:python depends on org@
fn << decl.fn;
x << decl.x;
pd << decl.pd;
@@
if netmem_convertible((pd[0].file, fn, x)) and netmem_own_decl(pd, x):
    coccilib.org.print_todo(pd[0], "%s() local %s: struct page * -> netmem_ref" % (fn, x))

@script:python depends on report@
fn << decl.fn;
x << decl.x;
pd << decl.pd;
@@
if netmem_convertible((pd[0].file, fn, x)) and netmem_own_decl(pd, x):
    coccilib.report.print_report(pd[0], "%s() local %s only carries page_pool buffers: use netmem_ref" % (fn, x))
