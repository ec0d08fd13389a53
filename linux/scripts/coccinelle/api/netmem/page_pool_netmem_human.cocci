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
///   stored             a pool local stored into a struct page * field
///   handed off         a pool local passed to some other function
///
/// A pool buffer is a local handed to or returned by a page_pool call in
/// the same function, or a field (->name or .name) handed to or returned
/// by a page_pool call anywhere in the file.
///
// Confidence: Moderate
// Keywords: page_pool, netmem
// Options: --no-includes --include-headers

virtual context
virtual org
virtual report

@initialize:python@
@@
import re

# (file, function, local) and (file, field) seen at page_pool calls
pp_locals = set()
pp_fields = set()


def pp_note(p, e):
    e = e.strip()
    m = re.search(r'(?:->|\.)\s*(\w+)$', e)
    if m:
        pp_fields.add((p[0].file, m.group(1)))
    elif re.match(r'^\w+$', e):
        pp_locals.add((p[0].file, p[0].current_element, e))


def pp_carries(p, e):
    e = e.strip()
    m = re.search(r'(?:->|\.)\s*(\w+)$', e)
    if m:
        return (p[0].file, m.group(1)) in pp_fields
    return (p[0].file, p[0].current_element, e) in pp_locals


def pp_function(p):
    return any(k[0] == p[0].file and k[1] == p[0].current_element
               for k in pp_locals) or \
        any(k[0] == p[0].file for k in pp_fields)


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

// The same calls on a plain identifier: the locals followed below.
@pool_id@
identifier X;
expression P, E1, E2, E3;
@@

(
X = page_pool_alloc_pages(P, E1)
|
X = page_pool_dev_alloc_pages(P)
|
X = page_pool_alloc_frag(P, E1, E2, E3)
|
X = page_pool_dev_alloc_frag(P, E1, E2)
|
page_pool_put_page(P, X, E1, E2)
|
page_pool_put_full_page(P, X, E1)
|
page_pool_recycle_direct(P, X)
|
page_pool_get_dma_addr(X)
|
page_pool_dma_sync_for_cpu(P, X, E1, E2)
|
page_pool_release_page(P, X)
)

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
    cocci.include_match(False)
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
    cocci.include_match(False)
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
    cocci.include_match(False)
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
    cocci.include_match(False)
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
    cocci.include_match(False)
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
    cocci.include_match(False)
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
identifier pool_id.X, f;
position p;
@@

(
  E->f@p = X
|
  E.f@p = X
)

@script:python@
x << pool_id.X;
f << store.f;
p << store.p;
@@
if not pp_carries(p, x):
    cocci.include_match(False)
elif cocci_mode != 'context':
    pp_say(p, 'stored', '%s is stored in field %s, which must become a netmem_ref first' % (x, f))

@handoff@
identifier fn !~ "^(page_pool_[a-z_]+|skb_add_rx_frag|page_address|page_to_virt|lowmem_page_address|kmap[a-z_]*|page_ref_[a-z_]+|get_page|page_count|get_page_unless_zero|set_page_count|put_page|__free_pages?|__page_frag_cache_drain|page_frag_free|virt_to_[a-z_]+|unlikely|likely)$";
identifier pool_id.X;
position p;
@@

  fn@p(..., X, ...)

@script:python@
fn << handoff.fn;
x << pool_id.X;
p << handoff.p;
@@
if not pp_carries(p, x):
    cocci.include_match(False)
elif cocci_mode != 'context':
    pp_say(p, 'handed off', '%s() takes the pool buffer %s as a page' % (fn, x))

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
