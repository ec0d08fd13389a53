// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test only: copied into the tree for one KUnit run, which
 * must then fail. Never part of linux/.
 */
#include <kunit/test.h>

static void netmem_harness_selftest_must_fail(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1, 2);
}

static struct kunit_case netmem_harness_selftest_cases[] = {
	KUNIT_CASE(netmem_harness_selftest_must_fail),
	{}
};

static struct kunit_suite netmem_harness_selftest_suite = {
	.name = "netmem_harness_selftest",
	.test_cases = netmem_harness_selftest_cases,
};

kunit_test_suite(netmem_harness_selftest_suite);
