/* ni's side of the master's REST API (docs/api.md): fetch the plan, post
 * progress and the result.  Every call carries the node's token. */
#ifndef NI_MASTER_CLIENT_H
#define NI_MASTER_CLIENT_H

#include <stddef.h>

#include "params.h"

/* 1 = got a plan, 0 = the master has none for us yet, -1 = error (err). */
int mc_get_plan(const char *master, const char *token, struct ni_plan *plan, char *err,
    size_t errlen);
/* POST a JSON body to master + path ("/api/v1/ni/progress").  0 on a 2xx
 * answer, -1 otherwise (err).  timeout_s bounds the whole call. */
int mc_post(const char *master, const char *token, const char *path, const char *json,
    long timeout_s, char *err, size_t errlen);

#endif
