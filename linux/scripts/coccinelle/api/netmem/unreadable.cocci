// SPDX-License-Identifier: GPL-2.0
///
/// List every place that reaches the payload of an skb's frags through
/// the CPU. A frag can be a net_iov of a memory provider (dma-buf device
/// memory, io_uring zero-copy receive): memory the CPU must not read, in
/// an skb with skb->unreadable set. Each site found must either check
/// skb_frags_readable() first, go through a helper that fails on such an
/// skb (skb_copy_bits() and friends) and handle the failure, or be out of
/// reach of unreadable skbs. One line per site, with its kind:
///
///   frag-page-cpu   skb_frag_page() of a frag (or netmem_to_page() of
///                   skb_frag_netmem()), directly or through a local,
///                   handed to a CPU access: kmap*(), page_address(),
///                   copy_page_{to,from}_iter(), sg_set_page(), a
///                   sendpage, vm_insert_page(s)() or an array of pages
///                   (a pipe, a user mapping), a sendpage through a
///                   function pointer; and every skb_frag_foreach_page()
///                   loop.
///                   skb_frag_page() of a net_iov is NULL.
///   frag-page-move  skb_frag_page() of a frag put into an skb as a page
///                   frag: a net_iov would become a NULL page in an skb
///                   not marked unreadable
///   frag-address    skb_frag_address(), skb_frag_address_safe(): NULL for
///                   a net_iov
///   seq-read        skb_prepare_seq_read(), skb_seq_read(), skb_find_text()
///   copy-bug        skb_copy_bits() and the other helpers that fail on
///                   unreadable payload, where the failure ends in BUG() or
///                   a WARN: a peer could trigger it at will
///   copy-ignored    skb_copy_bits() or skb_store_bits() whose result is
///                   dropped, so a failure leaves the buffer unwritten
///
/// The report is a list to classify, not a list of bugs: see "Unreadable
/// payload audit" in Documentation/networking/netmem.rst.
/// The flow through a local stays in one function; a helper of the
/// driver that maps a page it is given is not followed.
///
// Confidence: Moderate
// Keywords: skb, frag, netmem, net_iov, unreadable
// Options: --no-includes --include-headers

virtual org
virtual report

@initialize:python@
@@
unr_org = []


def unr_say(p, kind):
    msg = 'unreadable: %s: %s' % (kind, p[0].current_element)
    if unr_org:
        coccilib.org.print_todo(p[0], msg)
    else:
        coccilib.report.print_report(p[0], msg)

@script:python depends on org@
@@
unr_org.append(True)

// skb_frag_page() or its netmem spelling handed straight to a CPU access.
@frag_page_direct depends on report || org@
identifier cpu = {kmap, kmap_atomic, kmap_local_page, page_address,
		  lowmem_page_address, page_to_virt, memcpy_from_page,
		  memcpy_to_page, memcpy_page, memzero_page,
		  copy_page_to_iter, copy_page_from_iter, sg_set_page,
		  kernel_sendpage, kernel_sendpage_locked, do_tcp_sendpages,
		  tcp_sendpage, tcp_sendpage_locked, __splice_segment,
		  vm_insert_page, vm_insert_pages, sendpage, sendpage_unlocked,
		  INDIRECT_CALL_1, INDIRECT_CALL_2, INDIRECT_CALL_3,
		  INDIRECT_CALL_4, cas_page_map};
identifier send = {sendpage, sendpage_locked};
identifier to_page = {netmem_to_page, __netmem_to_page};
expression F, E;
position p;
@@
(
cpu(..., <+... skb_frag_page@p(F) ...+>, ...)
|
cpu(..., <+... to_page(skb_frag_netmem@p(F)) ...+>, ...)
|
netmem_address(skb_frag_netmem@p(F))
|
E->send(..., <+... skb_frag_page@p(F) ...+>, ...)
)

@script:python@
p << frag_page_direct.p;
@@
unr_say(p, 'frag-page-cpu')

// The same through a local of the function.
@frag_page_local depends on report || org@
identifier cpu = {kmap, kmap_atomic, kmap_local_page, page_address,
		  lowmem_page_address, page_to_virt, memcpy_from_page,
		  memcpy_to_page, memcpy_page, memzero_page,
		  copy_page_to_iter, copy_page_from_iter, sg_set_page,
		  kernel_sendpage, kernel_sendpage_locked, do_tcp_sendpages,
		  tcp_sendpage, tcp_sendpage_locked, __splice_segment,
		  vm_insert_page, vm_insert_pages, sendpage, sendpage_unlocked,
		  INDIRECT_CALL_1, INDIRECT_CALL_2, INDIRECT_CALL_3,
		  INDIRECT_CALL_4, cas_page_map};
identifier send = {sendpage, sendpage_locked};
identifier to_page = {netmem_to_page, __netmem_to_page};
identifier pg;
expression F, E, E1;
type T;
position p;
@@
(
pg = <+... skb_frag_page@p(F) ...+>;
|
T pg = <+... skb_frag_page@p(F) ...+>;
|
pg = <+... to_page(skb_frag_netmem@p(F)) ...+>;
|
T pg = <+... to_page(skb_frag_netmem@p(F)) ...+>;
)
... when exists
(
cpu(..., <+... pg ...+>, ...)
|
E->send(..., <+... pg ...+>, ...)
|
E[E1] = pg
)

@script:python@
p << frag_page_local.p;
@@
unr_say(p, 'frag-page-cpu')

// A frag's page put into an skb as a page frag: a net_iov would become a
// NULL page in an skb not marked unreadable, which the stack then reads.
@frag_page_move depends on report || org@
identifier put = {skb_fill_page_desc, __skb_fill_page_desc,
		  __skb_fill_page_desc_noacc, skb_frag_fill_page_desc,
		  skb_add_rx_frag, skb_frag_set_page, __skb_frag_set_page,
		  skb_append_pagefrags};
expression F;
position p;
@@
put(..., <+... skb_frag_page@p(F) ...+>, ...)

@script:python@
p << frag_page_move.p;
@@
unr_say(p, 'frag-page-move')

@frag_page_move_local depends on report || org@
identifier put = {skb_fill_page_desc, __skb_fill_page_desc,
		  __skb_fill_page_desc_noacc, skb_frag_fill_page_desc,
		  skb_add_rx_frag, skb_frag_set_page, __skb_frag_set_page,
		  skb_append_pagefrags};
identifier pg;
expression F;
type T;
position p;
@@
(
pg = <+... skb_frag_page@p(F) ...+>;
|
T pg = <+... skb_frag_page@p(F) ...+>;
)
... when exists
put(..., <+... pg ...+>, ...)

@script:python@
p << frag_page_move_local.p;
@@
unr_say(p, 'frag-page-move')

// A loop over the pages of a frag exists to map them.
@frag_page_loop depends on report || org@
iterator name skb_frag_foreach_page;
expression list es;
statement S;
position p;
@@
skb_frag_foreach_page@p(es) S

@script:python@
p << frag_page_loop.p;
@@
unr_say(p, 'frag-page-cpu')

@frag_address depends on report || org@
identifier addr = {skb_frag_address, skb_frag_address_safe};
position p;
@@
addr@p(...)

@script:python@
p << frag_address.p;
@@
unr_say(p, 'frag-address')

@seq_read depends on report || org@
identifier seq = {skb_prepare_seq_read, skb_seq_read, skb_find_text};
position p;
@@
seq@p(...)

@script:python@
p << seq_read.p;
@@
unr_say(p, 'seq-read')

// A copy whose failure is taken for a kernel bug: a peer could trigger it.
@copy_bug depends on report || org@
identifier cp = {skb_copy_bits, skb_store_bits, skb_header_pointer,
		 skb_copy_and_csum_bits, skb_checksum, __skb_checksum};
identifier bug = {BUG, BUG_ON, WARN, WARN_ON, WARN_ONCE, WARN_ON_ONCE,
		  DEBUG_NET_WARN_ON_ONCE, WARN_ON_RATELIMIT, netdev_WARN,
		  netdev_WARN_ONCE};
expression E, E1;
statement S;
position p;
@@
(
if (<+... cp@p(...) ...+>) { ... bug(...); ... }
|
if (<+... cp@p(...) ...+>) bug(...);
|
E = cp@p(...);
... when != E = E1
    when exists
(
if (<+... E ...+>) { ... bug(...); ... }
|
if (<+... E ...+>) bug(...);
|
bug(..., <+... E ...+>, ...);
|
if (<+... bug(..., <+... E ...+>, ...) ...+>) S
)
)

@script:python@
p << copy_bug.p;
@@
unr_say(p, 'copy-bug')

// The same with the call inside the BUG_ON() or WARN itself.
@copy_bug_in depends on report || org@
identifier cp = {skb_copy_bits, skb_store_bits, skb_header_pointer,
		 skb_copy_and_csum_bits, skb_checksum, __skb_checksum};
identifier bug = {BUG_ON, WARN, WARN_ON, WARN_ONCE, WARN_ON_ONCE,
		  DEBUG_NET_WARN_ON_ONCE, WARN_ON_RATELIMIT, netdev_WARN,
		  netdev_WARN_ONCE};
position p;
@@
bug(..., <+... cp@p(...) ...+>, ...)

@script:python@
p << copy_bug_in.p;
@@
unr_say(p, 'copy-bug')

@copy_ignored depends on report || org@
identifier cp = {skb_copy_bits, skb_store_bits};
position p;
@@
(
 cp@p(...);
|
 (void)cp@p(...);
)

@script:python@
p << copy_ignored.p;
@@
unr_say(p, 'copy-ignored')
