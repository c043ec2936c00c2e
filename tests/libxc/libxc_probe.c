/* libxc_probe.c: readiness probe for libxc.sh (a handle reads physinfo). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>

#include <xenctrl.h>

/* Drop every message: the probe is expected to fail until ready. */
static void quiet(xentoollog_logger *lg, xentoollog_level level,
                  int errnoval, const char *context, const char *format,
                  va_list al)
{
}

int main(void)
{
    xentoollog_logger lg = { .vmessage = quiet };
    xc_interface *xch = xc_interface_open(&lg, NULL, 0);
    xc_physinfo_t pi;
    int rc;

    if (!xch)
        return 1;
    rc = xc_physinfo(xch, &pi);
    xc_interface_close(xch);
    return rc == 0 && pi.total_pages > 0 ? 0 : 1;
}
