/* test_hyp.c: the mock's hypercall layer: domains, claims, populate, decrease, destroy. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "hyp/hyp.h"

#define NODE_PAGES 65536ULL     /* 256 MiB per node */

static const struct hyp_caller dom0 = { 0, 0 };

static struct hyp_physinfo phys(void)
{
    struct hyp_physinfo pi;

    assert_int_equal(hyp_physinfo(&dom0, &pi), 0);
    return pi;
}

static struct hyp_dominfo info(uint32_t domid)
{
    struct hyp_dominfo di;

    assert_int_equal(hyp_domain_getinfo(&dom0, domid, 1, &di), 1);
    assert_int_equal(di.domid, domid);
    return di;
}

static int setup(void **state)
{
    struct hyp_config cfg = {
        .nr_nodes = 2, .node_pages = { NODE_PAGES, NODE_PAGES },
        .tmem_capacity = 1024, .nr_cpus = 2, .dom0_pages = 4096,
        .dom0_max_pages = 8192,
    };

    (void)state;
    return hyp_init(&cfg);
}

/* dom0 exists with its pages; the rest of the heap is free. */
static void test_boot(void **state)
{
    struct hyp_physinfo pi = phys();
    struct hyp_dominfo d0 = info(0);

    (void)state;
    assert_int_equal(pi.total_pages, 2 * NODE_PAGES);
    assert_int_equal(pi.free_pages, 2 * NODE_PAGES - 4096);
    assert_int_equal(pi.outstanding_pages, 0);
    assert_int_equal(pi.nr_nodes, 2);
    assert_int_equal(d0.tot_pages, 4096);
    assert_int_equal(d0.max_pages, 8192);
    assert_string_equal(d0.name, "Domain-0");
    assert_true(d0.flags & HYP_DOMF_PRIV);
}

/* A guest's life: create, max, claim, populate (claim drawn), cancel, destroy. */
static void test_guest_life(void **state)
{
    uint32_t id = 0, id2 = 0;
    uint64_t gfns[8], free0 = phys().free_pages;
    unsigned int i;

    (void)state;
    assert_int_equal(hyp_domain_create(&dom0, &id, "guest"), 0);
    assert_int_equal(id, 1);
    assert_int_equal(hyp_domain_create(&dom0, &id2, "guest"), -EEXIST);
    assert_int_equal(hyp_domain_lookup("guest"), 1);
    /* max_pages never set: a claim is -EINVAL. */
    assert_int_equal(hyp_claim_pages(&dom0, id, 100, 0), -EINVAL);
    assert_int_equal(hyp_domain_setmaxmem(&dom0, id, 8 * 512 * 4), 0);
    assert_int_equal(info(id).max_pages, 8 * 512);
    /* Claim the whole guest: outstanding 4096 pages. */
    assert_int_equal(hyp_claim_pages(&dom0, id, 4096, 0), 0);
    assert_int_equal(phys().outstanding_pages, 4096);
    assert_int_equal(info(id).outstanding_pages, 4096);
    /* Populate 3 superpages: claim 4096 - 1536 = 2560. */
    for (i = 0; i < 8; i++)
        gfns[i] = i * 512;
    assert_int_equal(hyp_populate_physmap(&dom0, id, 9, 0, gfns, 3, NULL), 3);
    assert_int_equal(info(id).tot_pages, 1536);
    assert_int_equal(info(id).outstanding_pages, 2560);
    assert_int_equal(phys().outstanding_pages, 2560);
    assert_int_equal(phys().free_pages, free0 - 1536);
    /* The same gfn again: nothing done. */
    assert_int_equal(hyp_populate_physmap(&dom0, id, 9, 0, gfns, 1, NULL), 0);
    /* Free one 4 KiB page out of a superpage: the claim does not grow. */
    gfns[0] = 5;
    assert_int_equal(hyp_decrease_reservation(&dom0, id, 0, gfns, 1), 1);
    assert_int_equal(info(id).tot_pages, 1535);
    assert_int_equal(info(id).outstanding_pages, 2560);
    /* Cancel. */
    assert_int_equal(hyp_claim_pages(&dom0, id, 0, 0), 0);
    assert_int_equal(phys().outstanding_pages, 0);
    /* Destroy gives every page back; the id is gone. */
    assert_int_equal(hyp_domain_destroy(&dom0, id), 0);
    assert_int_equal(phys().free_pages, free0);
    assert_int_equal(hyp_domain_destroy(&dom0, id), -ESRCH);
    /* Ids are not reused at once. */
    id = 0;
    assert_int_equal(hyp_domain_create(&dom0, &id, "guest"), 0);
    assert_int_equal(id, 2);
    assert_int_equal(hyp_domain_destroy(&dom0, id), 0);
}

/* An unprivileged caller: -EPERM for claims and domctls. */
static void test_unprivileged(void **state)
{
    uint32_t id = 0, other = 0;
    struct hyp_caller guest;
    uint64_t gfn = 0;

    (void)state;
    assert_int_equal(hyp_domain_create(&dom0, &id, "u"), 0);
    assert_int_equal(hyp_domain_setmaxmem(&dom0, id, 4096), 0);
    guest.domid = id;
    guest.cpu = 1;
    assert_int_equal(hyp_claim_pages(&guest, id, 10, 0), -EPERM);
    assert_int_equal(hyp_domain_create(&guest, &other, "x"), -EPERM);
    assert_int_equal(hyp_populate_physmap(&guest, 0, 0, 0, &gfn, 1, NULL),
                     -EPERM);
    /* It may populate itself. */
    assert_int_equal(hyp_populate_physmap(&guest, id, 0, 0, &gfn, 1, NULL), 1);
    assert_int_equal(hyp_domain_destroy(&dom0, id), 0);
    guest.domid = 999;
    assert_int_equal(hyp_claim_pages(&guest, 0, 10, 0), -ESRCH);
}

/* Unknown domains answer as Xen 4.17 does. */
static void test_unknown(void **state)
{
    uint64_t gfn = 0;

    (void)state;
    assert_int_equal(hyp_claim_pages(&dom0, 4000, 10, 0), -EINVAL);
    assert_int_equal(hyp_domain_setmaxmem(&dom0, 4000, 10), -ESRCH);
    assert_int_equal(hyp_domain_destroy(&dom0, 4000), -ESRCH);
    assert_int_equal(hyp_populate_physmap(&dom0, 4000, 0, 0, &gfn, 1, NULL), 0);
    assert_int_equal(hyp_decrease_reservation(&dom0, 4000, 0, &gfn, 0), 0);
}

/* Ballooning with set_target, tmem and offlining move the host totals. */
static void test_balloon_tmem_offline(void **state)
{
    uint32_t id = 0;
    uint64_t free0 = phys().free_pages;

    (void)state;
    assert_int_equal(hyp_domain_create(&dom0, &id, "b"), 0);
    assert_int_equal(hyp_domain_setmaxmem(&dom0, id, 1000 * 4), 0);
    assert_int_equal(hyp_domain_set_target(&dom0, id, 700), 0);
    assert_int_equal(info(id).tot_pages, 700);
    assert_int_equal(hyp_domain_set_target(&dom0, id, 300), 0);
    assert_int_equal(info(id).tot_pages, 300);
    assert_int_equal(hyp_tmem_put(&dom0, 100), 100);
    assert_int_equal(phys().freeable_pages, 100);
    assert_int_equal(phys().free_pages, free0 - 400);
    assert_int_equal(hyp_tmem_flush(&dom0, 40), 40);
    assert_int_equal(phys().freeable_pages, 60);
    assert_int_equal(hyp_offline_any(&dom0, 10), 10);
    assert_int_equal(phys().offline_pages, 10);
    assert_int_equal(phys().free_pages, free0 - 300 - 60 - 10);
    assert_int_equal(hyp_tmem_flush(&dom0, 1000), 60);
    assert_int_equal(hyp_domain_destroy(&dom0, id), 0);
    assert_int_equal(phys().free_pages, free0 - 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boot),
        cmocka_unit_test(test_guest_life),
        cmocka_unit_test(test_unprivileged),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_balloon_tmem_offline),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
