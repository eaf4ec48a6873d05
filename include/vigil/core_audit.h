/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who acts (module `core`): the rule that every change made by a person or
 * a key writes one audit record with its actor, whichever front end made
 * it, and how the actor is named.
 *
 * An actor is an int64_t, as the audit log stores it: the id of the users
 * row of the person who acts at the console, minus the id of the API key
 * that acts through the hash-check API (-7: key 7), or 0 for the local
 * operator,
 * the person who runs a `vigil` command on the machine (and `vigil serve`'s
 * own work).  The log has no column for the operator's name, so the front
 * end names the operator once on its store (vg_store_set_operator, with the
 * name vg_core_operator_name gives: "cli:" and the Unix user) and the store
 * writes it into each actor-0 record's detail, "[cli:alice] ...", under
 * the chain's hash.  `vigil audit ls` shows such records as "cli".
 *
 * Where the rule is kept: each store function that changes something a
 * person may change (lists, entries, imports: vigil/store_lists.h;
 * accounts, API keys: store_people.h; providers: store_providers.h;
 * incidents, reviews: store_reports.h, store_review.h) takes the actor and
 * writes the record in the change's own transaction, so no front end can
 * change without it and there is one path per action.  The front ends
 * reach lists through vigil/core_lists.h, which adds the rules that are
 * not the database's.
 */
#ifndef VIGIL_CORE_AUDIT_H
#define VIGIL_CORE_AUDIT_H

#include <stddef.h>

#include "vigil/error.h"

/* The actor of changes made from the machine itself. */
#define VG_ACTOR_OPERATOR 0

/*
 * The local operator's name, "cli:" and the name of the effective Unix
 * user (or "cli:uid<N>" when the user has no name), into buf (cap bytes).
 * VG_OK or VG_ETOOBIG.  Thread safe.
 */
int vg_core_operator_name(char *buf, size_t cap);

#endif
