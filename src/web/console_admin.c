/* SPDX-License-Identifier: Apache-2.0 */
#include "web/web_int.h"

int vg__admin_routes(struct vg_server *s, struct vg_err *err)
{
    (void)s;
    (void)err;
    return VG_OK;
}
