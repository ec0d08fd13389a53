/* Already converted code stays as it is: the rule is idempotent. */
static int rx_refill(struct rx_ring *ring, struct rx_desc *desc)
{
	netmem_ref netmem;

	netmem = page_pool_dev_alloc_netmem(ring->page_pool);
	if (unlikely(!netmem))
		return -ENOMEM;
	desc->addr = cpu_to_le64(page_pool_get_dma_addr_netmem(netmem));
	page_pool_recycle_direct_netmem(ring->page_pool, netmem);
	return 0;
}
